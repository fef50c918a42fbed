using Confluent.Kafka;
using Conveyor.Processing.Forwarding;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing.Forwarding;

/// <summary>
/// A sender that serves its delivery reports in batches (the native producer: one poll call a
/// batch) lets the inputs acknowledged in a batch give back their room in the window and their
/// deliveries together, once it was served; a report on any other thread gives back at once.
/// </summary>
public class ReportBatchTests
{
    [Fact]
    public async Task Inputs_acknowledged_in_a_batch_of_reports_give_back_their_room_and_deliveries_once_it_was_served()
    {
        var sender = new BatchingSender();
        using var outputs = new OutputProducer(sender, new ForwardingOptions { MaxUnacknowledgedOutputs = 4 }, forwarded: null, _ => { });
        var settled = new List<Exception?>();
        for (var offset = 0; offset < 2; offset++)
        {
            var delivery = await outputs.HandAsync([OutputRecord.Utf8("out-a", "k", "v"), OutputRecord.Utf8("out-b", "k", "v")], null, CancellationToken.None);
            delivery.WhenSettled((_, _, e) => settled.Add(e), WorkItems.Of("in", 0, offset));
        }

        sender.Batches!.Starting();
        sender.AcknowledgeAll();

        Assert.Equal([null, null], settled); // the engine hears of each input at once
        Assert.Equal(4, outputs.Window.Outputs);
        Assert.Equal(0, outputs.PooledDeliveries);

        sender.Batches.Served();

        Assert.Equal(0, outputs.Window.Outputs);
        Assert.Equal(2, outputs.PooledDeliveries);
    }

    [Fact]
    public async Task An_output_refused_at_once_gives_back_its_room_at_once_while_a_batch_is_served_on_the_reporting_thread()
    {
        var sender = new BatchingSender { Refuses = true };
        using var outputs = new OutputProducer(sender, new ForwardingOptions(), forwarded: null, _ => { });
        await Task.Factory.StartNew(sender.Batches!.Starting, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default); // a batch under way on another thread

        var delivery = await outputs.HandAsync([OutputRecord.Utf8("out-a", "k", "v")], null, CancellationToken.None);
        Exception? failure = null;
        delivery.WhenSettled((_, _, e) => failure = e, WorkItems.Of());

        Assert.IsType<OutputDeliveryException>(failure);
        Assert.Equal(0, outputs.Window.Outputs);
    }

    /// <summary>Keeps each output's slot until the test reports it; or refuses each at once, as a producer refuses a record too large.</summary>
    private sealed class BatchingSender : IOutputSender
    {
        private readonly List<OutputSlot> _slots = [];
        private long _offset;

        public IReportBatches? Batches { get; private set; }

        public bool Refuses { get; init; }

        public void Send(OutputRecord output, OutputSlot slot)
        {
            if (Refuses)
            {
                slot.Report(new Error(ErrorCode.MsgSizeTooLarge), Partition.Any, Offset.Unset);
                return;
            }

            _slots.Add(slot);
        }

        public void AcknowledgeAll()
        {
            foreach (var slot in _slots)
            {
                slot.Report(new Error(ErrorCode.NoError), new Partition(0), new Offset(_offset++));
            }

            _slots.Clear();
        }

        public void ReportInBatches(IReportBatches batches) => Batches = batches;

        public void Dispose()
        {
        }
    }
}
