using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;
using Conveyor.Serialization;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>A pipelined forwarder's worker waits for room in the output window before it takes a message, holding none meanwhile.</summary>
public class WorkerTakeRoomTests
{
    private static readonly TopicPartition P0 = new("room", 0);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task A_worker_takes_no_message_while_the_window_is_full_and_takes_it_once_room_is_given_back()
    {
        await using var rig = new Rig(maxOutputs: 2);
        rig.Submit(0);
        var second = rig.Submit(1);
        _ = rig.Start(); // handles the first message, whose two outputs fill the window, then waits (ends with the rig)

        Assert.Equal([0L], rig.Handled);
        Assert.Equal(1, rig.Window.WaitingToTake);
        Assert.Equal(0, rig.Dispatcher.Taken); // the second is not taken, so not handled
        Assert.Equal(0, second.Partition.Work.Running);

        rig.Window.Leave(2, 10); // the first message's outputs are acknowledged
        Assert.Equal(1, await rig.HandledAsync(1));
    }

    [Fact]
    public async Task A_revoke_drains_at_once_while_the_worker_waits_for_room()
    {
        await using var rig = new Rig(maxOutputs: 2);
        rig.Submit(0);
        var second = rig.Submit(1);
        _ = rig.Start();

        // The waiting worker holds no message: the revoke has nothing running to wait for, and the ready one is dropped.
        var drained = rig.Dispatcher.DrainAsync([second.Partition]);

        Assert.True(drained.IsCompleted);
        rig.Window.Leave(2, 10);
        Assert.Equal([0L], rig.Handled);
    }

    [Fact]
    public async Task A_stop_lets_a_worker_waiting_for_room_end()
    {
        await using var rig = new Rig(maxOutputs: 2);
        await rig.Window.EnterAsync(2, 10, CancellationToken.None); // never acknowledged: only the stop ends the wait
        var running = rig.Start();
        Assert.Equal(1, rig.Window.WaitingToTake);

        await rig.Stopping.CancelAsync();
        rig.Dispatcher.Complete();

        await running.WaitAsync(Patience);
        Assert.Equal(0, rig.Window.WaitingToTake);
    }

    /// <summary>
    /// A dispatcher, an output window and workers whose handler enters the window with two outputs
    /// per message (as a forwarder's does) and finishes; the test gives the room back.
    /// </summary>
    private sealed class Rig : IAsyncDisposable
    {
        private readonly ConcurrentDictionary<long, TaskCompletionSource<long>> _handled = new();
        private readonly Worker<string, string> _worker;
        private readonly PartitionState _partition = new(P0);
        private readonly int _workers;
        private readonly CancellationTokenSource _abort = new(); // a handler waiting in the window gives up at the end of a test
        private Task _running = Task.CompletedTask;

        public Rig(int maxOutputs, int workers = 1)
        {
            _workers = workers;
            Window = new OutputWindow(maxOutputs, maxBytes: 1_000_000);
            var options = new ProcessorOptions { GroupId = "room-tests", Topics = [P0.Topic], MaxConcurrency = workers };
            var events = ProcessorSetup.Telemetry(new KafkaClientProperties("fake:9092"), options, observer: null);
            var executor = new MessageExecutor<string, string>(
                options,
                HandleAsync,
                MessageDeserializer<string>.Of((IDeserializer<string>?)null),
                MessageDeserializer<string>.Of((IDeserializer<string>?)null),
                deadLetters: null,
                events);
            _worker = new Worker<string, string>(
                Dispatcher, executor, events, new CommitSchedule(options.CommitInterval, options.CommitEveryMessages), gate: null, Stopping, _abort.Token, room: Window);
        }

        public Dispatcher Dispatcher { get; } = new();

        public OutputWindow Window { get; }

        public CancellationTokenSource Stopping { get; } = new();

        /// <summary>The offsets handled so far.</summary>
        public IReadOnlyList<long> Handled => [.. _handled.Where(h => h.Value.Task.IsCompleted).Select(h => h.Key)];

        /// <summary>Runs the workers; each runs to its first wait here.</summary>
        public Task Start()
        {
            _running = Task.WhenAll(Enumerable.Range(0, _workers).Select(_ => _worker.RunAsync()));
            return _running;
        }

        public WorkItem Submit(long offset)
        {
            var item = WorkItems.Of(_partition, offset, $"key-{offset}", "", OrderingMode.Key);
            Dispatcher.Submit(item);
            return item;
        }

        public Task<long> HandledAsync(long offset) => HandlerOf(offset).Task.WaitAsync(Patience);

        public async ValueTask DisposeAsync()
        {
            Window.Open();
            await Stopping.CancelAsync();
            await _abort.CancelAsync();
            Dispatcher.Complete();
            await _running.WaitAsync(Patience);
            Stopping.Dispose();
            _abort.Dispose();
        }

        private TaskCompletionSource<long> HandlerOf(long offset) => _handled.GetOrAdd(offset, _ => new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));

        private async ValueTask<IPendingAcknowledgement?> HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken)
        {
            await Window.EnterAsync(2, 10, cancellationToken);
            HandlerOf(message.Offset).TrySetResult(message.Offset);
            return null;
        }
    }
}
