using Conveyor.Hosting;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.RetryTopics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Tests.Hosting;

public class ProcessorSettingsTests
{
    [Fact]
    public void Every_setting_binds_from_configuration_including_Kafka_properties()
    {
        var settings = Bind(new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "orders-service",
            ["Orders:Topics:0"] = "orders",
            ["Orders:Topics:1"] = "returns",
            ["Orders:Ordering"] = "partition",
            ["Orders:MaxConcurrency"] = "8",
            ["Orders:CommitInterval"] = "00:00:02",
            ["Orders:OnFailure"] = "StopPartition",
            ["Orders:Retry:MaxAttempts"] = "5",
            ["Orders:Retry:InitialDelay"] = "00:00:00.050",
            ["Orders:Kafka:bootstrap.servers"] = "broker-1:9092,broker-2:9092",
            // Settings librdkafka can create a client with: the start-up check creates one.
            ["Orders:Kafka:security.protocol"] = "SASL_SSL",
            ["Orders:Kafka:sasl.mechanisms"] = "PLAIN",
            ["Orders:Kafka:sasl.username"] = "orders",
            ["Orders:Kafka:sasl.password"] = "secret",
        });

        var options = settings.Processor;
        Assert.Equal("orders-service", options.GroupId);
        Assert.Equal(["orders", "returns"], options.Topics);
        Assert.Equal(OrderingMode.Partition, options.Ordering);
        Assert.Equal(8, options.MaxConcurrency);
        Assert.Equal(TimeSpan.FromSeconds(2), options.CommitInterval);
        Assert.Equal(FailureAction.StopPartition, options.OnFailure);
        Assert.Equal(5, options.Retry.MaxAttempts);
        Assert.Equal(TimeSpan.FromMilliseconds(50), options.Retry.InitialDelay);
        Assert.Equal(TimeSpan.FromSeconds(10), options.Retry.MaxDelay); // untouched default
        Assert.Equal(64L * 1024 * 1024, options.MaxBufferedBytes);
        var client = settings.ToClientProperties();
        Assert.Equal("broker-1:9092,broker-2:9092", client.BootstrapServers);
        Assert.Equal(
            [new("sasl.mechanisms", "PLAIN"), new("sasl.password", "secret"), new("sasl.username", "orders"), new("security.protocol", "SASL_SSL")],
            client.Properties);
    }

    [Fact]
    public void One_message_lists_every_problem_of_a_bad_configuration()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new Dictionary<string, string?>
        {
            ["Orders:Topics:0"] = "orders",
            ["Orders:Ordering"] = "Sideways",
            ["Orders:MaxConcurrency"] = "-4",
            ["Orders:CommitInterval"] = "soon",
            ["Orders:MaxConcurency"] = "8",
            ["Orders:DeadLetterTopic"] = "orders",
            ["Orders:Kafka:no.such.property"] = "1",
            ["Orders:Kafka:sasl.password"] = "hunter2",
            ["Orders:Kafka:session.timeout.ms"] = "soon",
        }));

        var failures = error.Failures.ToList();
        Assert.All(failures, f => Assert.StartsWith("Conveyor processor 'orders' (configuration section 'Orders'): ", f, StringComparison.Ordinal));
        Assert.Contains(failures, f => f.EndsWith("Ordering: 'Sideways' is not one of Key, Partition, Unordered.", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.EndsWith("MaxConcurrency must be between 1 and 100000; it is -4.", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.EndsWith("CommitInterval: 'soon' is not a time span (e.g. 00:00:05 for 5 seconds).", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("MaxConcurency is not a setting; known settings here: GroupId, Topics, Ordering, MaxConcurrency", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("GroupId is missing", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("The dead-letter topic of 'orders' is 'orders' itself", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Kafka:bootstrap.servers is missing", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Kafka: no.such.property=1:", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.Contains("Kafka: session.timeout.ms=soon:", StringComparison.Ordinal));
        Assert.Equal(9, failures.Count);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_retry_topics_section_binds_and_its_delays_replace_the_default_ones()
    {
        var settings = Bind(new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "g",
            ["Orders:Topics:0"] = "orders",
            ["Orders:OnFailure"] = "RetryTopics",
            ["Orders:RetryTopics:Delays:0"] = "00:00:05",
            ["Orders:RetryTopics:Delays:1"] = "00:01:00",
            ["Orders:RetryTopics:Suffix"] = "-retry-",
            ["Orders:Kafka:bootstrap.servers"] = "localhost:9092",
        });

        var options = settings.Processor;
        Assert.Equal(FailureAction.RetryTopics, options.OnFailure);
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(1)], options.RetryTopics.Delays);
        Assert.Equal("-retry-", options.RetryTopics.Suffix);
        Assert.Equal("orders-retry-2", options.RetryTopics.TopicFor("orders", 2));
        Assert.Empty(settings.BindingProblems);

        // One delay alone replaces both defaults; the defaults stay when none is configured.
        static IReadOnlyList<TimeSpan> DelaysOf(string key, string value) => Bind(new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "g",
            ["Orders:Topics:0"] = "orders",
            ["Orders:OnFailure"] = "RetryTopics",
            [key] = value,
            ["Orders:Kafka:bootstrap.servers"] = "localhost:9092",
        }).Processor.RetryTopics.Delays;
        Assert.Equal([TimeSpan.FromSeconds(30)], DelaysOf("Orders:RetryTopics:Delays:0", "00:00:30"));
        Assert.Equal([TimeSpan.FromSeconds(30)], DelaysOf("Orders:RetryTopics:Delays", "00:00:30"));
        Assert.Equal(new RetryTopicOptions().Delays, DelaysOf("Orders:RetryTopics:Suffix", "-r-"));
    }

    [Fact]
    public void Bad_retry_topic_settings_are_reported_with_their_path()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "g",
            ["Orders:Topics:0"] = "orders",
            ["Orders:OnFailure"] = "RetryTopics",
            ["Orders:RetryTopics:Delays:0"] = "00:00:05",
            ["Orders:RetryTopics:Delays:1"] = "later",
            ["Orders:RetryTopics:Delays:2:Seconds"] = "5",
            ["Orders:RetryTopics:Delay"] = "00:00:05",
            ["Orders:Kafka:bootstrap.servers"] = "localhost:9092",
        }));

        var failures = error.Failures.ToList();
        Assert.Contains(failures, f => f.EndsWith("): RetryTopics:Delays:1: 'later' is not a time span (e.g. 00:00:05 for 5 seconds).", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.EndsWith("): RetryTopics:Delays:2 must be a single value, not a section.", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.EndsWith("): RetryTopics:Delay is not a setting; known settings here: Delays, Suffix.", StringComparison.Ordinal));
        Assert.Equal(3, failures.Count);
    }

    [Fact]
    public void Forwarding_settings_bind_from_configuration()
    {
        var options = Bind(new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "g",
            ["Orders:Topics:0"] = "orders",
            ["Orders:Kafka:bootstrap.servers"] = "localhost:9092",
            ["Orders:Forwarding:MaxUnacknowledgedOutputs"] = "250",
            ["Orders:Forwarding:MaxUnacknowledgedBytes"] = "65536",
        }).Processor;

        Assert.Equal(250, options.Forwarding.MaxUnacknowledgedOutputs);
        Assert.Equal(65536, options.Forwarding.MaxUnacknowledgedBytes);
    }

    /// <summary>Every settings section the options description finds, a later one included, binds each of its plain values from its section.</summary>
    [Fact]
    public void Every_value_of_every_nested_settings_section_binds_from_configuration()
    {
        var values = new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "g",
            ["Orders:Topics:0"] = "orders",
            ["Orders:Kafka:bootstrap.servers"] = "localhost:9092",
        };
        var expected = new List<(string Section, System.Reflection.PropertyInfo Property, object Value)>();
        var defaults = new ProcessorOptions();
        foreach (var section in ProcessorOptionsDescription.Sections)
        {
            var sectionDefaults = section.GetValue(defaults)!;
            foreach (var property in ProcessorOptionsDescription.Settings(section.PropertyType))
            {
                if (Different(property.PropertyType, property.GetValue(sectionDefaults)) is { } value)
                {
                    values[$"Orders:{section.Name}:{property.Name}"] = Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture);
                    expected.Add((section.Name, property, value));
                }
            }
        }

        Assert.All(ProcessorOptionsDescription.Sections, section => Assert.Contains(expected, e => e.Section == section.Name));
        var bound = Bind(values).Processor;
        foreach (var (section, property, value) in expected)
        {
            var actual = property.GetValue(typeof(ProcessorOptions).GetProperty(section)!.GetValue(bound));
            Assert.True(Equals(value, actual), $"{section}:{property.Name} was configured as {value} but is {actual}");
        }
    }

    /// <summary>A valid value of the type other than <paramref name="current"/>; null for types not set this way.</summary>
    private static object? Different(Type type, object? current) => type switch
    {
        _ when type == typeof(int) => (int)current! + 1,
        _ when type == typeof(long) => (long)current! + 1024,
        _ when type == typeof(double) => (double)current! / 2,
        _ when type == typeof(bool) => !(bool)current!,
        _ when type == typeof(TimeSpan) => (TimeSpan)current! + TimeSpan.FromSeconds(1),
        _ when type == typeof(string) => (string?)current + "x",
        _ => null,
    };

    /// <summary>The description cannot miss a section: every property of the options whose type is a class of Conveyor's is one.</summary>
    [Fact]
    public void The_options_description_finds_every_settings_section_of_the_options()
    {
        var sections = typeof(ProcessorOptions).GetProperties()
            .Where(p => p.PropertyType.IsClass && p.PropertyType != typeof(string) && p.PropertyType.Assembly == typeof(ProcessorOptions).Assembly)
            .Select(p => p.Name);

        Assert.Equal(sections.Order(), ProcessorOptionsDescription.Sections.Select(p => p.Name).Order());
        Assert.Contains(nameof(ProcessorOptions.Forwarding), ProcessorOptionsDescription.Sections.Select(p => p.Name));
    }

    [Fact]
    public void Properties_the_engine_sets_itself_are_refused()
    {
        var error = Assert.Throws<OptionsValidationException>(() => Bind(new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "g",
            ["Orders:Topics:0"] = "orders",
            ["Orders:Kafka:bootstrap.servers"] = "localhost:9092",
            ["Orders:Kafka:group.id"] = "other",
            ["Orders:Kafka:enable.auto.commit"] = "true",
        }));

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.EndsWith("Kafka:group.id is set by Conveyor itself; remove it and set GroupId instead.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_host_refuses_to_start_with_a_bad_configuration_before_anything_connects()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders(); // the refused start is expected: its error log stays off the test run's console
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Conveyor:Orders:Topics:0"] = "orders",
            ["Conveyor:Orders:Ordering"] = "Sideways",
            // Nothing listens here: a connection attempt would hang the test rather than fail it.
            ["Conveyor:Orders:Kafka:bootstrap.servers"] = "127.0.0.1:1",
        });
        builder.Services.AddConveyorProcessor<string, string, NoHandler>("orders", builder.Configuration.GetSection("Conveyor:Orders"));
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(2, error.Failures.Count());
        Assert.Contains(error.Failures, f => f.Contains("'Sideways' is not one of Key, Partition, Unordered", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("GroupId is missing", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_processors_with_one_name_are_refused()
    {
        var services = new ServiceCollection();
        var configuration = new ConfigurationBuilder().Build();
        services.AddConveyorProcessor<string, string, NoHandler>("orders", configuration);

        Assert.Throws<ArgumentException>(() => services.AddConveyorProcessor<string, string, NoHandler>("orders", configuration));
    }

    [Fact]
    public void Settings_that_only_code_can_give_are_added_after_binding()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "g",
            ["Orders:Topics:0"] = "orders",
            ["Orders:Retry:MaxAttempts"] = "7",
            ["Orders:Kafka:bootstrap.servers"] = "localhost:9092",
        }).Build();
        var services = new ServiceCollection();
        services.AddConveyorProcessor<string, string, NoHandler>("orders", configuration.GetSection("Orders"));
        services.Configure<ProcessorSettings>("orders", s => s.Processor = s.Processor with
        {
            Retry = s.Processor.Retry with { IsRetryable = e => e is TimeoutException },
        });
        using var provider = services.BuildServiceProvider();

        var retry = provider.GetRequiredService<IOptionsMonitor<ProcessorSettings>>().Get("orders").Processor.Retry;

        Assert.Equal(7, retry.MaxAttempts);
        Assert.True(retry.ShouldRetry(new TimeoutException()));
        Assert.False(retry.ShouldRetry(new InvalidOperationException()));
    }

    [Fact]
    public async Task Only_a_hosted_forwarder_may_be_exactly_once_and_batch_settings_bind_from_their_section()
    {
        static IHost Build(Action<IServiceCollection, IConfiguration> add)
        {
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.ClearProviders(); // the refused start is expected: its error log stays off the test run's console
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Orders:GroupId"] = "g",
                ["Orders:Topics:0"] = "orders",
                ["Orders:Guarantee"] = "ExactlyOnce",
                ["Orders:TransactionalId"] = "orders-1",
                ["Orders:Ordering"] = "Partition",
                ["Orders:Batch:MaxMessages"] = "many",
                // Nothing listens here: a connection attempt would hang the test rather than fail it.
                ["Orders:Kafka:bootstrap.servers"] = "127.0.0.1:1",
            });
            add(builder.Services, builder.Configuration.GetSection("Orders"));
            return builder.Build();
        }

        using var batches = Build((services, section) => services.AddConveyorBatchProcessor<string, string, NoBatchHandler>("orders", section));
        using var forwarder = Build((services, section) => services.AddConveyorForwarder<string, string, NoForwardingHandler>("orders", section));

        var batchError = await Assert.ThrowsAsync<OptionsValidationException>(() => batches.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));
        var forwarderError = await Assert.ThrowsAsync<OptionsValidationException>(() => forwarder.StartAsync().WaitAsync(TimeSpan.FromSeconds(30)));

        Assert.Equal(2, batchError.Failures.Count());
        Assert.Contains(batchError.Failures, f => f.Contains("Guarantee ExactlyOnce needs outputs to commit with the offsets: use a KafkaForwarder.", StringComparison.Ordinal));
        Assert.Contains(batchError.Failures, f => f.Contains("Batch:MaxMessages: 'many' is not a valid whole number", StringComparison.Ordinal));
        Assert.Equal(batchError.Failures.Where(f => f.Contains("Batch:", StringComparison.Ordinal)), forwarderError.Failures);
    }

    [Fact]
    public void Batch_settings_are_bound_for_a_hosted_batch_processor()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Orders:GroupId"] = "g",
            ["Orders:Topics:0"] = "orders",
            ["Orders:Batch:MaxMessages"] = "250",
            ["Orders:Batch:MaxWait"] = "00:00:02",
            ["Orders:Kafka:bootstrap.servers"] = "localhost:9092",
        }).Build();
        var services = new ServiceCollection();
        services.AddConveyorBatchProcessor<string, string, NoBatchHandler>("orders", configuration.GetSection("Orders"));
        using var provider = services.BuildServiceProvider();

        var batch = provider.GetRequiredService<IOptionsMonitor<ProcessorSettings>>().Get("orders").Processor.Batch;

        Assert.Equal(250, batch.MaxMessages);
        Assert.Equal(TimeSpan.FromSeconds(2), batch.MaxWait);
    }

    private static ProcessorSettings Bind(Dictionary<string, string?> values)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var services = new ServiceCollection();
        services.AddConveyorProcessor<string, string, NoHandler>("orders", configuration.GetSection("Orders"));
        using var provider = services.BuildServiceProvider();
        return provider.GetRequiredService<IOptionsMonitor<ProcessorSettings>>().Get("orders");
    }

    private sealed class NoHandler : IMessageHandler<string, string>
    {
        public ValueTask HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NoBatchHandler : IBatchHandler<string, string>
    {
        public ValueTask HandleAsync(IReadOnlyList<MessageContext<string, string>> batch, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class NoForwardingHandler : IForwardingHandler<string, string>
    {
        public ValueTask<IReadOnlyList<OutputRecord>> HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<OutputRecord>>([]);
    }
}
