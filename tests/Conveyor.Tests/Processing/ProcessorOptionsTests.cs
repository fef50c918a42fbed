using Conveyor.Configuration;
using Conveyor.Processing;

namespace Conveyor.Tests.Processing;

public class ProcessorOptionsTests
{
    private static readonly ProcessorOptions Valid = new() { GroupId = "g", Topics = ["orders"] };

    [Fact]
    public void Sensible_defaults_are_valid()
    {
        Assert.Empty(Valid.Validate());
        Assert.Equal(OrderingMode.Key, Valid.Ordering);
        Assert.Equal(64, Valid.MaxConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(5), Valid.CommitInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(100), Valid.IdleCommitDelay);
        Assert.Equal(FailureAction.DeadLetter, Valid.OnFailure);
        Assert.Equal("orders.dlq", Valid.DeadLetterTopicFor("orders"));
    }

    [Fact]
    public void Every_problem_is_reported_at_once_naming_the_option()
    {
        var options = new ProcessorOptions
        {
            GroupId = "",
            Topics = [],
            MaxConcurrency = -1,
            Ordering = (OrderingMode)42,
            CommitInterval = TimeSpan.Zero,
            Retry = new RetryOptions { MaxAttempts = 0 },
        };

        var problems = options.Validate();

        Assert.Equal(6, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("GroupId", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Topics", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("MaxConcurrency must be between 1 and 100000; it is -1", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Ordering must be one of Key, Partition, Unordered", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("CommitInterval", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Retry.MaxAttempts", StringComparison.Ordinal));
    }

    [Fact]
    public void Completions_are_persisted_by_default_within_a_metadata_bound_that_is_checked()
    {
        Assert.True(Valid.PersistCompletions);
        Assert.Equal(4096, Valid.CommitMetadataMaxBytes);

        var problems = (Valid with { CommitMetadataMaxBytes = 100 }).Validate();
        Assert.Equal(["CommitMetadataMaxBytes must be between 512 and 1048576 (the broker's offset.metadata.max.bytes); it is 100."], problems);
        Assert.Empty((Valid with { CommitMetadataMaxBytes = 512 }).Validate());
    }

    [Fact]
    public void Retry_topics_need_delays_a_legal_suffix_and_at_least_once()
    {
        var options = Valid with
        {
            OnFailure = FailureAction.RetryTopics,
            RetryTopics = new Conveyor.Processing.RetryTopics.RetryTopicOptions { Delays = [], Suffix = "/retry/" },
            Guarantee = DeliveryGuarantee.AtMostOnce,
        };

        var problems = options.Validate();

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("RetryTopics.Delays must name 1 to 20 delays", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("RetryTopics.Suffix '/retry/'", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("RetryTopics needs Guarantee AtLeastOnce (it is AtMostOnce)", StringComparison.Ordinal));
        Assert.Empty((Valid with { OnFailure = FailureAction.RetryTopics }).Validate());
    }

    [Fact]
    public void Commit_options_are_checked_together()
    {
        var options = Valid with
        {
            CommitEveryMessages = 0,
            CommitMode = OffsetCommitMode.Asynchronous,
            Guarantee = DeliveryGuarantee.AtMostOnce,
        };

        var problems = options.Validate();

        Assert.Equal(2, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("CommitEveryMessages must be 1 or more (or null to commit on the interval only); it is 0", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("CommitMode Asynchronous cannot be combined with Guarantee AtMostOnce", StringComparison.Ordinal));
        Assert.Empty((Valid with { CommitEveryMessages = 1, CommitMode = OffsetCommitMode.Asynchronous }).Validate());
    }

    [Fact]
    public void Exactly_once_needs_a_transactional_id_synchronous_commits_and_persisted_completions_unless_partition_ordered()
    {
        var options = Valid with { Guarantee = DeliveryGuarantee.ExactlyOnce, CommitMode = OffsetCommitMode.Asynchronous, PersistCompletions = false };

        var problems = options.Validate();

        Assert.Equal(3, problems.Count);
        Assert.Contains(problems, p => p.StartsWith("TransactionalId is missing", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("ExactlyOnce with Ordering Key needs PersistCompletions", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("ExactlyOnce commits offsets inside transactions: CommitMode must be Synchronous", StringComparison.Ordinal));
        Assert.Empty((Valid with { Guarantee = DeliveryGuarantee.ExactlyOnce, TransactionalId = "orders-1" }).Validate()); // key ordering, completions persisted (the default)
        Assert.Empty((Valid with { Guarantee = DeliveryGuarantee.ExactlyOnce, TransactionalId = "orders-1", Ordering = OrderingMode.Partition, PersistCompletions = false }).Validate());
        Assert.Empty((Valid with { Guarantee = DeliveryGuarantee.ExactlyOnce, TransactionalId = "orders-1", Ordering = OrderingMode.Partition }).Validate());
    }

    [Fact]
    public void A_plain_processor_refuses_exactly_once()
    {
        var options = Valid with { Guarantee = DeliveryGuarantee.ExactlyOnce, TransactionalId = "orders-1", Ordering = OrderingMode.Partition };

        var error = Assert.Throws<KafkaConfigurationException>(() =>
            new KafkaProcessorBuilder<string, string>(new KafkaClientProperties("127.0.0.1:1"), options).Handle((_, _) => ValueTask.CompletedTask).Build());

        Assert.Contains("use a KafkaForwarder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_dead_letter_topic_equal_to_the_source_topic_is_refused()
    {
        var problems = (Valid with { DeadLetterTopic = "orders" }).Validate();

        Assert.Contains(problems, p => p.Contains("'orders' is 'orders' itself", StringComparison.Ordinal));
    }

    [Fact]
    public void The_processor_refuses_bad_options_and_bad_client_properties_together_before_connecting()
    {
        var client = new KafkaClientProperties("127.0.0.1:1", [new KafkaProperty("no.such.property", "1")]);

        var error = Assert.Throws<KafkaConfigurationException>(() =>
            new KafkaProcessorBuilder<string, string>(client, Valid with { MaxConcurrency = 0 }).Handle((_, _) => ValueTask.CompletedTask).Build());

        Assert.Equal(2, error.Problems.Count);
    }

    [Fact]
    public void Illegal_and_repeated_topic_names_are_refused()
    {
        var problems = (Valid with { Topics = ["orders", "bad topic!", "orders"] }).Validate();

        Assert.Contains(problems, p => p.StartsWith("Topics: 'bad topic!' is not a legal Kafka topic name", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Topics: 'orders' is named 2 times", StringComparison.Ordinal));
    }

    [Fact]
    public void A_derived_dead_letter_topic_that_is_also_consumed_is_refused()
    {
        var problems = (Valid with { Topics = ["orders", "orders.dlq"] }).Validate();

        Assert.Contains(problems, p => p.Contains("The dead-letter topic of 'orders' is 'orders.dlq', which is also consumed", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_retry_section_is_a_problem_not_a_crash()
    {
        var problems = (Valid with { Retry = null! }).Validate();

        Assert.Equal(["Retry must not be null (leave it out for the defaults)."], problems);
    }

    [Fact]
    public void A_missing_retry_section_does_not_hide_the_problems_checked_after_it()
    {
        var problems = (Valid with
        {
            Retry = null!,
            Batch = new() { MaxMessages = 0 },
            Topics = ["orders", "orders.dlq"],
        }).Validate();

        Assert.Contains("Retry must not be null (leave it out for the defaults).", problems);
        Assert.Contains(problems, p => p.StartsWith("Batch.MaxMessages must be between 1 and 100000", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("The dead-letter topic of 'orders' is 'orders.dlq', which is also consumed", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_batch_section_is_a_problem_not_a_crash()
    {
        var problems = (Valid with { Batch = null! }).Validate();

        Assert.Equal(["Batch must not be null (leave it out for the defaults)."], problems);
    }
}
