using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;

namespace Conveyor.Tests.Configuration;

/// <summary>A Confluent configuration a user already has becomes Conveyor's client properties.</summary>
public class KafkaClientPropertiesFromConfigTests
{
    [Fact]
    public void A_consumer_config_gives_its_bootstrap_servers_and_every_other_property_with_secrets_masked()
    {
        var config = new ConsumerConfig
        {
            BootstrapServers = "broker-1:9092,broker-2:9092",
            SecurityProtocol = SecurityProtocol.SaslSsl,
            SaslMechanism = SaslMechanism.Plain,
            SaslUsername = "orders",
            SaslPassword = "hunter2",
            FetchWaitMaxMs = 50,
        };

        var properties = KafkaClientProperties.From(config);

        Assert.Equal("broker-1:9092,broker-2:9092", properties.BootstrapServers);
        Assert.Equal(
            [new("security.protocol", "sasl_ssl"), new("sasl.mechanism", "PLAIN"), new("sasl.username", "orders"), new("sasl.password", "hunter2"), new("fetch.wait.max.ms", "50")],
            properties.Properties);
        Assert.DoesNotContain("hunter2", properties.ToString(), StringComparison.Ordinal);
        Assert.Contains("sasl.password=********", properties.ToString(), StringComparison.Ordinal);
        properties.Validate();
    }

    [Fact]
    public void A_group_id_in_the_config_is_refused_when_the_processor_is_built_as_everywhere()
    {
        var properties = KafkaClientProperties.From(new ConsumerConfig { BootstrapServers = "localhost:9092", GroupId = "orders" });

        var problems = ProcessorValidation.Problems(properties, new ProcessorOptions { GroupId = "orders", Topics = ["orders"] }, ProcessorKind.Processor);

        Assert.Equal(["The client property group.id is set by Conveyor itself; remove it and set GroupId instead."], problems);
    }

    [Fact]
    public void A_config_without_bootstrap_servers_or_with_confluents_own_properties_is_refused()
    {
        var missing = Assert.Throws<ArgumentException>(() => KafkaClientProperties.From(new ClientConfig { ClientId = "x" }));
        var dotnet = Assert.Throws<ArgumentException>(() => KafkaClientProperties.From(new ConsumerConfig { BootstrapServers = "localhost:9092", ConsumeResultFields = "none" }));

        Assert.StartsWith("The configuration has no bootstrap.servers", missing.Message, StringComparison.Ordinal);
        Assert.StartsWith("dotnet.consumer.consume.result.fields configure Confluent.Kafka's own clients", dotnet.Message, StringComparison.Ordinal);
    }
}
