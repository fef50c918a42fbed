using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Transactions;

namespace Conveyor.Tests.Processing.Transactions;

public class TransactionGateTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Closing_waits_for_running_messages_and_holds_new_ones_until_opened()
    {
        var gate = new TransactionGate();
        await gate.EnterAsync();

        var closing = Task.Run(() => gate.Close(Timeout));
        Assert.NotSame(closing, await Task.WhenAny(closing, Task.Delay(50))); // a message is still running
        gate.Exit();
        Assert.True(await closing.WaitAsync(Timeout));

        var entering = gate.EnterAsync().AsTask();
        Assert.NotSame(entering, await Task.WhenAny(entering, Task.Delay(50))); // closed: nothing new starts during the commit
        gate.Open();
        await entering.WaitAsync(Timeout);
        gate.Exit();
    }

    [Fact]
    public async Task A_close_that_times_out_says_so()
    {
        var gate = new TransactionGate();
        await gate.EnterAsync();

        Assert.False(gate.Close(TimeSpan.FromMilliseconds(20)));
        gate.Open();
        gate.Exit();
        Assert.True(gate.Close(Timeout));
    }

    [Fact]
    public async Task A_commit_waits_for_a_message_from_its_first_write_until_it_is_released_and_not_before()
    {
        var gate = new TransactionGate();
        var (_, item) = Message("gate-write");

        Assert.True(gate.Close(TimeSpan.Zero)); // a handler that has written nothing holds nothing
        var writing = gate.EnterAsync(item).AsTask();
        Assert.NotSame(writing, await Task.WhenAny(writing, Task.Delay(50))); // its first write waits for the commit
        gate.Open();
        Assert.True(await writing.WaitAsync(Timeout));
        Assert.True(await gate.EnterAsync(item).AsTask().WaitAsync(Timeout)); // a second write holds nothing more

        Assert.False(gate.Close(TimeSpan.FromMilliseconds(20))); // written and not yet finished
        gate.Open();
        gate.Release(item);
        Assert.True(gate.Close(TimeSpan.Zero));
        gate.Release(item); // released once only
        Assert.True(gate.Close(TimeSpan.Zero));
    }

    [Fact]
    public async Task A_message_whose_partition_closed_while_it_waited_to_write_gives_up_when_woken()
    {
        var gate = new TransactionGate();
        var (dispatcher, item) = Message("gate-closed");
        var other = Message("gate-closed-other").Item;

        Assert.True(gate.Close(TimeSpan.Zero));
        var writing = gate.EnterAsync(item).AsTask();
        var otherWriting = gate.EnterAsync(other).AsTask();
        dispatcher.Close([item.Partition]); // an abort rewinds (or a revoke or loss takes) its partition
        gate.Wake();

        Assert.False(await writing.WaitAsync(Timeout));
        Assert.False(item.HoldsGate);
        Assert.NotSame(otherWriting, await Task.WhenAny(otherWriting, Task.Delay(50))); // its partition is open: it waits on
        gate.Open();
        Assert.True(await otherWriting.WaitAsync(Timeout));
        Assert.False(await gate.EnterAsync(item).AsTask().WaitAsync(Timeout)); // and never writes later
    }

    private static (Dispatcher Dispatcher, WorkItem Item) Message(string topic)
    {
        var partition = new PartitionState(new TopicPartition(topic, 0));
        var result = new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset(partition.TopicPartition, 0),
            Message = new Message<byte[]?, byte[]?> { Value = [1] },
        };
        return (new Dispatcher(), new WorkItem(result, partition, LaneKey.For(OrderingMode.Partition, partition, null)));
    }
}
