using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing.Forwarding;

public class OutputDeliveryTests
{
    private static readonly Action<WorkItem, IPendingAcknowledgement, Exception?> Ignore = (_, _, _) => { };

    [Fact]
    public void Forwarding_an_input_allocates_no_delivery_state_once_deliveries_are_reused()
    {
        var producer = new RecordingProducer(capacity: 2);
        using var outputs = new OutputProducer(producer);
        IReadOnlyList<OutputRecord> records = [new OutputRecord("out-a", [1], [2]) { Partition = 3 }, new OutputRecord("out-b", [1], [2]) { Partition = 3 }];
        var item = Item("in", 0, 7);

        for (var i = 0; i < 10; i++)
        {
            ForwardOne(outputs, producer, records, item, new long[3]); // warms up the pool and the JIT
        }

        const int inputs = 1_000;
        var spent = new long[3]; // handing off, settling, acknowledging
        for (var i = 0; i < inputs; i++)
        {
            ForwardOne(outputs, producer, records, item, spent);
        }

        var perInput = spent.Sum() / (double)inputs;
        Assert.True(perInput < 16, $"{perInput:F0} bytes allocated per forwarded input (hand-off {spent[0] / inputs}, settle {spent[1] / inputs}, acknowledgements {spent[2] / inputs})");
    }

    [Fact]
    public void Forwarding_makes_nothing_for_the_forwarding_event_when_no_forwarding_observer_listens()
    {
        var producer = new RecordingProducer(capacity: 2);
        var events = new ProcessorEvents(new PlainObserver(), "group", text => text);
        using var outputs = new OutputProducer(producer, new ForwardingOptions(), events, _ => { });
        IReadOnlyList<OutputRecord> records = [new OutputRecord("out-a", [1], [2]) { Partition = 3 }, new OutputRecord("out-b", [1], [2]) { Partition = 3 }];
        var item = Item("in", 0, 7);
        var input = new ForwardedInput("in", 0, 7);

        for (var i = 0; i < 10; i++)
        {
            ForwardOne(outputs, producer, records, item, new long[3], input);
        }

        const int inputs = 1_000;
        var spent = new long[3];
        for (var i = 0; i < inputs; i++)
        {
            ForwardOne(outputs, producer, records, item, spent, input);
        }

        var perInput = spent.Sum() / (double)inputs;
        Assert.True(perInput < 16, $"{perInput:F0} bytes allocated per forwarded input with nobody listening (acknowledgements {spent[2] / inputs})");
    }

    [Fact]
    public async Task A_forwarding_observer_behind_the_engine_events_hears_each_input()
    {
        var producer = new RecordingProducer(capacity: 1);
        var observer = new ForwardedRecorder();
        var events = new ProcessorEvents(new CompositeObserver(new PlainObserver(), observer), "group", text => text);
        using var outputs = new OutputProducer(producer, new ForwardingOptions(), events, _ => { });
        var delivery = await outputs.HandAsync([OutputRecord.Utf8("out-a", "k", "1")], new ForwardedInput("in", 0, 10), CancellationToken.None);
        delivery.WhenSettled(Ignore, Item("in", 0, 10));
        producer.Acknowledge(0, 100);

        Assert.Equal(["in [[0]] @10 -> out-a [[0]] @100"], observer.Forwarded);
    }

    [Fact]
    public async Task An_output_the_producer_throws_on_fails_its_input_and_keeps_no_room_in_the_window()
    {
        // The second output is one Confluent.Kafka's producer throws on while reading it (e.g. a header it cannot read).
        var producer = new RecordingProducer(capacity: 4) { Throws = (1, new InvalidOperationException("unreadable header")) };
        var observer = new ForwardedRecorder();
        using var outputs = new OutputProducer(producer, new ForwardingOptions(), observer, _ => { });
        var delivery = await outputs.HandAsync(
            [OutputRecord.Utf8("out-a", "k", "1"), OutputRecord.Utf8("out-b", "k", "1"), OutputRecord.Utf8("out-c", "k", "1")],
            new ForwardedInput("in", 0, 10),
            CancellationToken.None);
        Exception? failure = null;
        delivery.WhenSettled((_, _, e) => failure = e, Item("in", 0, 10));
        producer.Acknowledge(0, 100);
        producer.Acknowledge(1, 102); // out-c: outputs after the unreadable one still go

        var failed = Assert.IsType<OutputDeliveryException>(failure);
        Assert.Contains("unreadable header", failed.Message, StringComparison.Ordinal);
        Assert.Equal(0, outputs.Window.Outputs); // every output was reported: nothing holds room
        Assert.Empty(observer.Forwarded); // not done: the input is retried or dead-lettered by its policy
        Assert.Equal(0, outputs.PooledDeliveries);

        var resent = delivery.Resend();
        Assert.Equal("out-b", producer[2].Destination.Topic); // only the failed output goes again
        failure = new InvalidOperationException("not settled");
        resent.WhenSettled((_, _, e) => failure = e, Item("in", 0, 10));
        producer.Acknowledge(2, 101);

        Assert.Null(failure);
        Assert.Equal(["in [[0]] @10 -> out-a [[0]] @100, out-b [[0]] @101, out-c [[0]] @102"], observer.Forwarded);
    }

    [Fact]
    public async Task A_reused_delivery_tells_each_input_where_its_own_outputs_were_written()
    {
        var producer = new RecordingProducer(capacity: 2);
        var observer = new ForwardedRecorder();
        using var outputs = new OutputProducer(producer, new ForwardingOptions(), observer, _ => { });
        var first = await outputs.HandAsync([OutputRecord.Utf8("out-a", "k", "1"), OutputRecord.Utf8("out-b", "k", "1") with { Partition = 2 }], new ForwardedInput("in", 0, 10), CancellationToken.None);
        first.WhenSettled(Ignore, Item("in", 0, 10));
        producer.Acknowledge(1, 200); // acknowledgements may come in any order
        producer.Acknowledge(0, 100);
        producer.Clear();

        var second = await outputs.HandAsync([OutputRecord.Utf8("out-c", "k", "2")], new ForwardedInput("in", 1, 11), CancellationToken.None);
        Assert.Same(first, second);
        second.WhenSettled(Ignore, Item("in", 1, 11));
        producer.Acknowledge(0, 300);

        Assert.Equal(
            [
                "in [[0]] @10 -> out-a [[0]] @100, out-b [[2]] @200",
                "in [[1]] @11 -> out-c [[0]] @300",
            ],
            observer.Forwarded);
    }

    [Fact]
    public async Task A_delivery_with_a_failed_output_is_not_reused_until_a_resend_was_acknowledged()
    {
        var producer = new RecordingProducer(capacity: 4);
        using var outputs = new OutputProducer(producer, new ForwardingOptions(), forwarded: null, _ => { });
        var delivery = await outputs.HandAsync([OutputRecord.Utf8("out-a", "k", "1"), OutputRecord.Utf8("out-b", "k", "1")], new ForwardedInput("in", 0, 10), CancellationToken.None);
        Exception? failure = null;
        delivery.WhenSettled((_, _, e) => failure = e, Item("in", 0, 10));
        producer.Acknowledge(0, 100);
        producer.Acknowledge(1, 0, ErrorCode.Local_MsgTimedOut);

        Assert.IsType<OutputDeliveryException>(failure);
        Assert.Equal(0, outputs.PooledDeliveries); // the engine may still send it again

        var resent = delivery.Resend();
        Assert.Equal(3, producer.Count);
        Assert.Equal("out-b", producer[2].Destination.Topic); // only the failed output goes again
        failure = new InvalidOperationException("not settled");
        resent.WhenSettled((_, _, e) => failure = e, Item("in", 0, 10));
        producer.Acknowledge(2, 101);

        Assert.Null(failure);
        Assert.Equal(1, outputs.PooledDeliveries);
    }

    // Not async: a Debug build's state machines would count as allocations.
    private static void ForwardOne(OutputProducer outputs, RecordingProducer producer, IReadOnlyList<OutputRecord> records, WorkItem item, long[] spent, ForwardedInput? input = null)
    {
        var start = GC.GetAllocatedBytesForCurrentThread();
        var handed = outputs.HandAsync(records, input, CancellationToken.None);
        var delivery = handed.Result;
        var handedOff = GC.GetAllocatedBytesForCurrentThread();
        delivery.WhenSettled(Ignore, item);
        var settled = GC.GetAllocatedBytesForCurrentThread();
        producer.Acknowledge(0, 1);
        producer.Acknowledge(1, 2);
        producer.Clear();
        var acknowledged = GC.GetAllocatedBytesForCurrentThread();
        spent[0] += handedOff - start;
        spent[1] += settled - handedOff;
        spent[2] += acknowledged - settled;
    }

    private static WorkItem Item(string topic, int partition, long offset) => WorkItems.Of(topic, partition, offset);

    private sealed class PlainObserver : IProcessorObserver;

    private sealed class ForwardedRecorder : IForwardingObserver
    {
        public List<string> Forwarded { get; } = [];

        public void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs) =>
            Forwarded.Add($"{input} -> {string.Join(", ", outputs)}");
    }
}
