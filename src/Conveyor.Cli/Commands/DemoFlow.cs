using Conveyor.Cli.Kafka;
using Conveyor.Cli.Tutorial;

namespace Conveyor.Cli.Commands;

/// <summary>
/// The demo's producer and engine-backed consumer, run together until everything produced is
/// committed: handled, or dead-lettered after its retries.
/// </summary>
internal sealed class DemoFlow
{
    private readonly ClientSettings _settings;
    private readonly EngineSettings _engine;
    private readonly TextWriter _output;
    private readonly TextWriter _errors;

    public DemoFlow(ClientSettings settings, EngineSettings engine, TextWriter output, TextWriter errors)
    {
        _settings = settings;
        _engine = engine;
        _output = output;
        _errors = errors;
    }

    public async Task<DemoSummary> RunAsync(int messages, int malformed, CancellationToken cancellationToken)
    {
        var topic = _engine.Processor.Topics[0];
        var consumer = new EngineConsumer(_settings, _engine, _output, _errors);
        var consuming = consumer.RunAsync(cancellationToken);

        using var producer = new TutorialProducer(_settings, _output, _errors);
        try
        {
            // Produce only once the consumer owns partitions, so the flow reads as the tutorial's.
            await Task.WhenAny(consumer.Observer.FirstAssignment, consuming).WaitAsync(cancellationToken).ConfigureAwait(false);
            await producer.ProduceUsersAsync(topic, messages, firstId: 1, ratePerSecond: 0, cancellationToken).ConfigureAwait(false);
            var badLines = string.Concat(Enumerable.Range(1, malformed).Select(i => $"bad-{i}\tthis is not JSON\n"));
            using var badInput = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(badLines));
            await producer.ProduceLinesAsync(topic, badInput, DataFormat.Text, DataFormat.Text, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped (Ctrl-C or the demo's timeout): the consumer stops too; the summary says how far it got.
        }

        // Done when every partition written to has its committed offset past the last message written.
        var written = producer.DeliveredOffsets
            .GroupBy(o => o.TopicPartition)
            .ToDictionary(g => g.Key, g => g.Max(o => o.Offset.Value) + 1);
        consumer.StopWhenCommitted(written);
        await consuming.ConfigureAwait(false);

        var committed = producer.DeliveredOffsets.Count(o =>
            consumer.Observer.CommittedOffsets.TryGetValue(o.TopicPartition, out var next) && o.Offset.Value < next);
        return new DemoSummary(
            producer.Delivered, consumer.Processed, consumer.Observer.Retries, consumer.Observer.DeadLetters, committed, committed == producer.Delivered && producer.Delivered > 0)
        {
            StoppedPartitions = consumer.Observer.PartitionsStoppedInRun,
        };
    }
}
