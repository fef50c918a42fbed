using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Tests.Processing;

/// <summary>One way to build: each bad input refused at Build with one clear message, each kind built as its entry point.</summary>
public class KafkaProcessorBuilderTests
{
    private static readonly KafkaClientProperties Client = new("localhost:9092");
    private static readonly ProcessorOptions Valid = new() { GroupId = "g", Topics = ["orders"] };

    private static KafkaProcessorBuilder<string, string> Builder(ProcessorOptions? options = null, KafkaClientProperties? client = null) =>
        new(client ?? Client, options ?? Valid);

    [Fact]
    public void Each_kind_builds_its_entry_point_not_started()
    {
        var processor = Builder().Handle((_, _) => ValueTask.CompletedTask).Build();
        var forwarder = Builder().Forward((_, _) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>([])).Build();
        var batches = Builder().HandleBatches((_, _) => ValueTask.CompletedTask).Build();

        Assert.IsType<KafkaProcessor<string, string>>(processor);
        Assert.IsType<KafkaForwarder<string, string>>(forwarder);
        Assert.IsType<KafkaBatchProcessor<string, string>>(batches);
        Assert.All([processor, forwarder, batches], p => Assert.Equal(ProcessorState.NotStarted, p.Status.State));
    }

    [Fact]
    public void Building_before_choosing_what_the_processor_does_says_what_to_call()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Builder().Build());

        Assert.Equal("Choose what the processor does before building it: call Handle, Forward or HandleBatches.", error.Message);
    }

    [Fact]
    public void Choosing_twice_what_the_processor_does_is_refused()
    {
        var builder = Builder().Handle((_, _) => ValueTask.CompletedTask);

        var error = Assert.Throws<InvalidOperationException>(() => builder.HandleBatches((_, _) => ValueTask.CompletedTask));

        Assert.Equal("This builder already builds a Processor: call one of Handle, Forward or HandleBatches, once.", error.Message);
    }

    [Fact]
    public void A_bad_option_is_refused_with_one_message_naming_it()
    {
        var error = Assert.Throws<KafkaConfigurationException>(() => Builder(Valid with { MaxConcurrency = 0 }).Handle((_, _) => ValueTask.CompletedTask).Build());

        Assert.Equal(["MaxConcurrency must be between 1 and 100000; it is 0."], error.Problems);
    }

    [Fact]
    public void A_property_conveyor_sets_itself_is_refused_with_one_message_naming_it()
    {
        var client = new KafkaClientProperties("localhost:9092", [new("enable.auto.offset.store", "true")]);

        var error = Assert.Throws<KafkaConfigurationException>(() => Builder(client: client).Handle((_, _) => ValueTask.CompletedTask).Build());

        Assert.Equal(["The client property enable.auto.offset.store is set by Conveyor itself; remove it."], error.Problems);
    }

    [Fact]
    public void A_property_librdkafka_rejects_is_refused_in_its_words_with_secrets_masked()
    {
        var client = new KafkaClientProperties("localhost:9092", [new("sasl.password", "hunter2"), new("linger.ms", "soon")]);

        var error = Assert.Throws<KafkaConfigurationException>(() => Builder(client: client).Handle((_, _) => ValueTask.CompletedTask).Build());

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith("linger.ms=soon: ", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Exactly_once_is_refused_for_every_kind_but_a_forwarder_with_that_one_message_alone()
    {
        // Without a transactional id, and with key ordering without persisted completions: a
        // forwarder would be told of both; the other kinds only that they cannot be exactly-once at all.
        var options = Valid with { Guarantee = DeliveryGuarantee.ExactlyOnce, PersistCompletions = false };

        var processor = Assert.Throws<KafkaConfigurationException>(() => Builder(options).Handle((_, _) => ValueTask.CompletedTask).Build());
        var batches = Assert.Throws<KafkaConfigurationException>(() => Builder(options).HandleBatches((_, _) => ValueTask.CompletedTask).Build());
        var forwarder = Assert.Throws<KafkaConfigurationException>(() => Builder(options).Forward((_, _) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>([])).Build());

        Assert.Equal(["Guarantee ExactlyOnce needs outputs to commit with the offsets: use a KafkaForwarder."], processor.Problems);
        Assert.Equal(processor.Problems, batches.Problems);
        Assert.Equal(2, forwarder.Problems.Count);
        Assert.Contains(forwarder.Problems, p => p.StartsWith("TransactionalId is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void A_shapes_own_options_are_the_ones_checked_and_used()
    {
        var forwarding = new ForwardingOptions { MaxUnacknowledgedOutputs = 0 };
        var batching = new BatchOptions { MaxWait = TimeSpan.Zero };

        var forwarder = Assert.Throws<KafkaConfigurationException>(() => Builder().Forward((_, _) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>([]), forwarding).Build());
        var batches = Assert.Throws<KafkaConfigurationException>(() => Builder().HandleBatches((_, _) => ValueTask.CompletedTask, batching).Build());

        Assert.Equal(["Forwarding.MaxUnacknowledgedOutputs must be 1 or more; it is 0."], forwarder.Problems);
        Assert.Equal(["Batch.MaxWait must be positive; it is 00:00:00."], batches.Problems);
    }

    [Fact]
    public void Validate_lists_what_Build_would_refuse_all_at_once()
    {
        var client = new KafkaClientProperties("localhost:9092", [new("group.id", "other"), new("no.such.property", "1")]);
        var builder = Builder(Valid with { GroupId = "" }, client).Handle((_, _) => ValueTask.CompletedTask);

        var problems = builder.Validate();
        var error = Assert.Throws<KafkaConfigurationException>(() => builder.Build());

        Assert.Equal(3, problems.Count);
        Assert.Equal(problems, error.Problems);
    }

    [Fact]
    public void Synchronous_and_asynchronous_deserializers_mix()
    {
        var processor = new KafkaProcessorBuilder<string, string>(Client, Valid)
            .SetKeyDeserializer(Deserializers.Utf8)
            .SetValueDeserializer(new AsyncUtf8())
            .Handle((_, _) => ValueTask.CompletedTask)
            .Build();

        Assert.Equal(ProcessorState.NotStarted, processor.Status.State);
    }

    [Fact]
    public async Task A_disposed_processor_does_not_run()
    {
        var processor = Builder().Handle((_, _) => ValueTask.CompletedTask).Build();

        await processor.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => processor.RunAsync().WaitAsync(TimeSpan.FromSeconds(10)));
    }

    private sealed class AsyncUtf8 : IAsyncDeserializer<string>
    {
        public Task<string> DeserializeAsync(ReadOnlyMemory<byte> data, bool isNull, SerializationContext context) =>
            Task.FromResult(System.Text.Encoding.UTF8.GetString(data.Span));
    }
}
