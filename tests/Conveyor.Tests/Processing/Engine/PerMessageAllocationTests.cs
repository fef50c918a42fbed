using System.Threading.Tasks.Sources;
using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Serialization;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// What the engine allocates for every message on its way to the handler: the handler's context
/// (a reference to the fetched message, not a copy of its fields), and no new state machine for a
/// handler call that completes later (a forwarder's call waits for room in the output window for
/// many inputs).
/// </summary>
public class PerMessageAllocationTests
{
    private const int Messages = 1_000;

    // An object header and method table (16 bytes), the engine's work item (which holds the fetched
    // message; exactly-once forwarding holds the commit gate for it once it writes), key, value and
    // attempt. A context that copied the message's fields was 88 bytes here; one that kept the
    // fetched message and the work item in two fields, 56.
    private const int ContextBytes = 48;

    // Header and method table, the fetched message, its partition, its lane (partition and key),
    // the message behind it in its lane, size, attempts and two flags: 66, rounded up to 72.
    private const int WorkItemBytes = 72;

    [Fact]
    public void A_message_context_reads_the_fetched_message_rather_than_copying_it()
    {
        var result = Result($"context-{Guid.NewGuid():N}", 4, 17);
        var partition = new PartitionState(result.TopicPartition);
        var item = new WorkItem(result, partition, LaneKey.For(OrderingMode.Key, partition, result.Message.Key));
        _ = new MessageContext<byte[]?, byte[]?>(item, result.Message.Key, result.Message.Value, attempt: 1); // the type is loaded

        MessageContext<byte[]?, byte[]?>? context = null;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Messages; i++)
        {
            context = new MessageContext<byte[]?, byte[]?>(item, result.Message.Key, result.Message.Value, attempt: 2); // as the engine makes it
        }

        var perContext = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Messages;
        Assert.True(perContext <= ContextBytes, $"{perContext} bytes per context");
        Assert.Same(item, context!.Item);
        Assert.Null(new MessageContext<byte[]?, byte[]?>(result, result.Message.Key, result.Message.Value, attempt: 1).Item); // a batch's or a test's: no work item
        Assert.Equal((result.Topic, 4, 17L, 2), (context.Topic, context.Partition, context.Offset, context.Attempt));
        Assert.Equal(result.Message.Timestamp, context.Timestamp);
        Assert.Same(result.Message.Key, context.Key);
        Assert.Same(result.Message.Value, context.Value);

        // A message read without headers gets them when first asked, kept in the fetched message (a dead letter sees what the handler added).
        context.Headers.Add("added", [1]);
        Assert.Same(result.Message.Headers, context.Headers);
    }

    /// <summary>
    /// The engine's work item, for every fetched message: its size is counted once, where the
    /// dispatcher reads it under its lock (rather than from the fetched message, long out of the
    /// cache by then), in the room a lane hash took before; the link to the next message of its
    /// lane takes the place of a queue per busy lane.
    /// </summary>
    [Fact]
    public void A_work_item_takes_72_bytes()
    {
        var result = Result($"item-{Guid.NewGuid():N}", 1, 3);
        var partition = new PartitionState(result.TopicPartition);
        var lane = LaneKey.For(OrderingMode.Key, partition, result.Message.Key);
        _ = new WorkItem(result, partition, lane); // the type is loaded

        WorkItem? item = null;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Messages; i++)
        {
            item = new WorkItem(result, partition, lane);
        }

        var perItem = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)Messages;
        Assert.True(perItem <= WorkItemBytes, $"{perItem} bytes per work item");
        Assert.Equal(103, item!.Size); // key and value
    }

    [Fact]
    public void A_handler_call_that_completes_later_reuses_the_engine_s_state_machines()
    {
        var handler = new LaterHandler();
        var events = new ProcessorEvents(null, $"later-{Guid.NewGuid():N}", text => text);
        var timed = events.Timed<byte[], byte[]>(handler.CallAsync);
        object? call = null;
        var executor = new MessageExecutor<byte[], byte[]>(
            new ProcessorOptions(),
            (message, cancellationToken) =>
            {
                var waiting = timed(message, cancellationToken);
                call = SourceOf(waiting);
                return waiting;
            },
            MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null),
            MessageDeserializer<byte[]>.Of((IDeserializer<byte[]>?)null),
            deadLetters: null,
            events);
        var result = Result($"later-{Guid.NewGuid():N}", 2, 5);
        var partition = new PartitionState(result.TopicPartition);
        var item = new WorkItem(result, partition, LaneKey.For(OrderingMode.Key, partition, result.Message.Key));

        // Each message's wait used to make a state machine of the executor's and one of the timed
        // call's; pooled, the next message's wait on this thread takes the same ones back. No
        // synchronization context, so that either kind of continuation runs here, at once.
        var context = SynchronizationContext.Current;
        SynchronizationContext.SetSynchronizationContext(null);
        object? first, firstCall, second;
        try
        {
            first = Run(executor, handler, item);
            firstCall = call;
            second = Run(executor, handler, item);
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(context);
        }

        Assert.NotNull(first);
        Assert.NotNull(firstCall);
        Assert.Same(first, second);
        Assert.Same(firstCall, call);
        Assert.Equal(2, events.Status.Activity.Handled);
    }

    /// <summary>Runs a message whose handler call completes later; returns what the executor's result waited on.</summary>
    private static object? Run(MessageExecutor<byte[], byte[]> executor, LaterHandler handler, WorkItem item)
    {
        var execution = executor.ExecuteAsync(item, CancellationToken.None, CancellationToken.None);
        Assert.False(execution.IsCompleted); // waits for the handler's call
        var source = SourceOf(execution);
        handler.Complete(); // the executor's continuation runs here, on this thread
        Assert.True(execution.IsCompletedSuccessfully);
        Assert.Equal(ExecutionOutcome.Finished, execution.Result.Outcome);
        return source;
    }

    // What a pending ValueTask waits on (a task or a pooled source): its one object field, _obj, in every .NET since Core 2.1.
    private static object? SourceOf<T>(ValueTask<T> task) =>
        typeof(ValueTask<T>).GetField("_obj", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(task);

    private static ConsumeResult<byte[]?, byte[]?> Result(string topic, int partition, long offset) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(topic, partition, offset),
        Message = new Message<byte[]?, byte[]?>
        {
            Key = [1, 2, 3],
            Value = new byte[100],
            Timestamp = new Timestamp(1_700_000_000_000, TimestampType.CreateTime),
        },
    };

    /// <summary>A handler whose every call completes when the test says so, on the test's thread; reused, so it allocates nothing itself.</summary>
    private sealed class LaterHandler : IValueTaskSource<IPendingAcknowledgement?>
    {
        private ManualResetValueTaskSourceCore<IPendingAcknowledgement?> _call;

        public ValueTask<IPendingAcknowledgement?> CallAsync(MessageContext<byte[], byte[]> message, CancellationToken cancellationToken)
        {
            _call.Reset();
            return new ValueTask<IPendingAcknowledgement?>(this, _call.Version);
        }

        public void Complete() => _call.SetResult(null);

        public IPendingAcknowledgement? GetResult(short token) => _call.GetResult(token);

        public ValueTaskSourceStatus GetStatus(short token) => _call.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _call.OnCompleted(continuation, state, token, flags);
    }
}
