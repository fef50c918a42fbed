using Conveyor.Cli.Kafka;
using Conveyor.Cli.Tutorial;

namespace Conveyor.Cli.Commands;

/// <summary>The demo's producer and consumer, run together until everything produced is committed.</summary>
internal sealed class DemoFlow
{
    private readonly ClientSettings _settings;
    private readonly string _topic;
    private readonly string _group;
    private readonly TextWriter _output;
    private readonly TextWriter _errors;

    public DemoFlow(ClientSettings settings, string topic, string group, TextWriter output, TextWriter errors)
    {
        _settings = settings;
        _topic = topic;
        _group = group;
        _output = output;
        _errors = errors;
    }

    public async Task<DemoSummary> RunAsync(int messages, CancellationToken cancellationToken)
    {
        using var consumer = new TutorialConsumer(_settings, new ConsumeSettings(_topic, _group), _output, _errors);
        var consuming = Task.Factory.StartNew(
            () => consumer.Run(cancellationToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        using var producer = new TutorialProducer(_settings, _output, _errors);
        try
        {
            // Produce only once the consumer owns partitions, so the flow reads as the tutorial's.
            await Task.WhenAny(consumer.FirstAssignment, consuming).WaitAsync(cancellationToken).ConfigureAwait(false);
            await producer.ProduceUsersAsync(_topic, messages, firstId: 1, ratePerSecond: 0, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (Ctrl-C or the demo's timeout): the consumer stops too; the summary says how far it got.
        }

        // Done when every partition written to has its committed offset past the last message written.
        var written = producer.DeliveredOffsets
            .GroupBy(o => o.Partition.Value)
            .ToDictionary(g => g.Key, g => g.Max(o => o.Offset.Value) + 1);
        consumer.StopWhenCommitted(written);
        var outcome = await consuming.ConfigureAwait(false);

        var committed = producer.DeliveredOffsets.Count(o =>
            consumer.Committed.TryGetValue(o.Partition.Value, out var next) && o.Offset.Value < next);
        return new DemoSummary(producer.Delivered, consumer.Received, committed, outcome == ConsumeOutcome.TargetCommitted);
    }
}
