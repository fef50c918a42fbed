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
}
