using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Tests.Processing;

/// <summary>The three ways to run have one shape: the same constructor, one validation, one interface.</summary>
public class EntryPointTests
{
    private static readonly KafkaClientProperties Client = new("localhost:9092", [KafkaProperty.Parse("no.such.property=1")]);
    private static readonly ProcessorOptions Invalid = new() { GroupId = "", Topics = ["orders"], MaxConcurrency = 0 };

    [Fact]
    public void Each_entry_point_reports_every_problem_with_the_options_and_the_properties_at_once()
    {
        var processor = Assert.Throws<KafkaConfigurationException>(() => new KafkaProcessorBuilder<string, string>(Client, Invalid).Handle((_, _) => ValueTask.CompletedTask).Build());
        var forwarder = Assert.Throws<KafkaConfigurationException>(() => new KafkaProcessorBuilder<string, string>(Client, Invalid).Forward((_, _) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>([])).Build());
        var batches = Assert.Throws<KafkaConfigurationException>(() => new KafkaProcessorBuilder<string, string>(Client, Invalid).HandleBatches((_, _) => ValueTask.CompletedTask).Build());

        Assert.Equal(3, processor.Problems.Count); // group, concurrency, the unknown property
        Assert.Contains(processor.Problems, p => p.Contains("no.such.property", StringComparison.Ordinal));
        Assert.Equal(processor.Problems, forwarder.Problems);
        Assert.Equal(processor.Problems, batches.Problems);
    }

    [Fact]
    public void Properties_the_engine_sets_itself_are_refused_as_hosting_refuses_them_not_overwritten()
    {
        var client = new KafkaClientProperties("localhost:9092", [new("group.id", "other"), new("enable.auto.commit", "true")]);
        var options = new ProcessorOptions { GroupId = "g", Topics = ["orders"] };

        var error = Assert.Throws<KafkaConfigurationException>(() => new KafkaProcessorBuilder<string, string>(client, options).Handle((_, _) => ValueTask.CompletedTask).Build());

        Assert.Equal(
        [
            "The client property group.id is set by Conveyor itself; remove it and set GroupId instead.",
            "The client property enable.auto.commit is set by Conveyor itself; remove it.",
        ], error.Problems);
    }

    [Fact]
    public void Only_the_forwarder_accepts_exactly_once()
    {
        var options = new ProcessorOptions { GroupId = "g", Topics = ["orders"], Guarantee = DeliveryGuarantee.ExactlyOnce, TransactionalId = "t", Ordering = OrderingMode.Partition };
        var client = new KafkaClientProperties("localhost:9092");

        Assert.Throws<KafkaConfigurationException>(() => new KafkaProcessorBuilder<string, string>(client, options).Handle((_, _) => ValueTask.CompletedTask).Build());
        Assert.Throws<KafkaConfigurationException>(() => new KafkaProcessorBuilder<string, string>(client, options).HandleBatches((_, _) => ValueTask.CompletedTask).Build());
        IKafkaProcessor forwarder = new KafkaProcessorBuilder<string, string>(client, options).Forward((_, _) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>([])).Build();
        Assert.Equal(ProcessorState.NotStarted, forwarder.Status.State);
    }

    [Fact]
    public void Every_entry_point_is_a_kafka_processor_with_a_status_before_it_runs()
    {
        var options = new ProcessorOptions { GroupId = "g", Topics = ["orders"] };
        var client = new KafkaClientProperties("localhost:9092");
        IKafkaProcessor[] all =
        [
            new KafkaProcessorBuilder<string, string>(client, options).Handle((_, _) => ValueTask.CompletedTask).Build(),
            new KafkaProcessorBuilder<string, string>(client, options).Forward((_, _) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>([])).Build(),
            new KafkaProcessorBuilder<string, string>(client, options).HandleBatches((_, _) => ValueTask.CompletedTask).Build(),
        ];

        Assert.All(all, p => Assert.Equal(ProcessorState.NotStarted, p.Status.State));
    }
}
