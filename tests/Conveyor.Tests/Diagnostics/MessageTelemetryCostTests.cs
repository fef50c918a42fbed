using System.Diagnostics.Metrics;
using System.Text;
using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Diagnostics;

/// <summary>
/// What the telemetry costs each message when nothing listens to Conveyor's traces or metrics:
/// every message passes here, so it allocates nothing (a partition number's tag, an activity's
/// name and a partition's key used to be made per message).
/// </summary>
public class MessageTelemetryCostTests
{
    private const int Messages = 1_000;

    [Fact]
    public void A_message_start_and_end_allocate_nothing_while_nobody_listens()
    {
        var telemetry = new ProcessorEvents(null, $"cost-{Guid.NewGuid():N}", text => text);
        var item = Item("telemetry-cost", 7, 42);
        Run(telemetry, item); // whatever is made once (partition names, the metric instruments' state)

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Messages; i++)
        {
            Run(telemetry, item);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task A_timed_handler_call_allocates_nothing_but_what_the_handler_does()
    {
        var telemetry = new ProcessorEvents(null, $"cost-{Guid.NewGuid():N}", text => text);
        var timed = telemetry.Timed(StagedHandlers.From<byte[], byte[]>((_, _) => ValueTask.CompletedTask));
        var message = new MessageContext<byte[], byte[]>(Item("timed-cost", 3, 9).Result, [], [], attempt: 1);
        await timed(message, CancellationToken.None); // the partition's handler counts are made once

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < Messages; i++)
        {
            var call = timed(message, CancellationToken.None);
            Assert.True(call.IsCompletedSuccessfully);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(Messages + 1, telemetry.Status.Activity.Handled);
    }

    [Fact]
    public void A_message_start_makes_no_tags_while_nobody_listens()
    {
        var telemetry = new ProcessorEvents(null, $"cost-{Guid.NewGuid():N}", text => text);
        var item = Item("telemetry-unheard", 2, 5);

        var trace = telemetry.MessageStarted(item);

        Assert.Empty(trace.Tags); // made at its end only if someone listens by then
        Assert.Null(trace.Activity);
        telemetry.MessageEnded(item, trace, new Execution(ExecutionOutcome.Finished));
    }

    [Fact]
    public void A_message_that_started_unheard_leaves_the_in_flight_count_with_its_own_tags()
    {
        var group = $"late-listener-{Guid.NewGuid():N}";
        var telemetry = new ProcessorEvents(null, group, text => text);
        var item = Item("telemetry-late", 4, 8);
        var trace = telemetry.MessageStarted(item);
        var heard = new List<(long Value, Dictionary<string, object?> Tags)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == ConveyorMetrics.InFlight.Name)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var all = new Dictionary<string, object?>();
            foreach (var tag in tags)
            {
                all[tag.Key] = tag.Value;
            }

            if (Equals(all.GetValueOrDefault(MessagingAttributes.ConsumerGroup), group))
            {
                lock (heard)
                {
                    heard.Add((value, all));
                }
            }
        });
        listener.Start();

        telemetry.MessageEnded(item, trace, new Execution(ExecutionOutcome.Finished));

        var (left, tags) = Assert.Single(heard);
        Assert.Equal(-1, left);
        Assert.Equal("telemetry-late", tags[MessagingAttributes.Destination]);
        Assert.Equal("4", tags[MessagingAttributes.Partition]);
    }

    private static void Run(ProcessorEvents telemetry, WorkItem item)
    {
        var trace = telemetry.MessageStarted(item);
        telemetry.MessageEnded(item, trace, new Execution(ExecutionOutcome.Finished));
    }

    private static WorkItem Item(string topic, int partition, long offset)
    {
        var state = new PartitionState(new TopicPartition(topic, partition));
        var key = Encoding.UTF8.GetBytes("k");
        var result = new ConsumeResult<byte[]?, byte[]?>
        {
            TopicPartitionOffset = new TopicPartitionOffset(topic, partition, offset),
            Message = new Message<byte[]?, byte[]?> { Key = key, Value = [], Headers = [] },
        };
        return new WorkItem(result, state, LaneKey.For(OrderingMode.Key, state, key));
    }
}
