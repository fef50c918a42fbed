using Conveyor.Configuration;

namespace Conveyor.Tests.Configuration;

public class KafkaClientPropertiesTests
{
    [Fact]
    public void Pass_through_properties_override_defaults_and_bootstrap_servers_is_set()
    {
        var properties = new KafkaClientProperties("host:9092", [new("linger.ms", "50")]);

        var config = properties.ToDictionary([new("linger.ms", "5"), new("acks", "all")]);

        Assert.Equal("host:9092", config["bootstrap.servers"]);
        Assert.Equal("50", config["linger.ms"]);
        Assert.Equal("all", config["acks"]);
    }

    [Fact]
    public void Later_properties_with_the_same_key_win()
    {
        var properties = new KafkaClientProperties("host:9092", [new("acks", "1"), new("acks", "all")]);

        Assert.Equal("all", properties.ToDictionary()["acks"]);
    }

    [Fact]
    public void Validation_accepts_properties_librdkafka_knows()
    {
        var properties = new KafkaClientProperties("host:9092",
            [new("security.protocol", "SASL_SSL"), new("sasl.mechanisms", "PLAIN"), new("sasl.password", "x")]);

        properties.Validate();
    }

    [Fact]
    public void Validation_reports_every_rejected_property_in_librdkafkas_words()
    {
        var properties = new KafkaClientProperties("host:9092",
            [new("no.such.property", "1"), new("linger.ms", "soon"), new("acks", "all")]);

        var error = Assert.Throws<KafkaConfigurationException>(properties.Validate);

        Assert.Equal(2, error.Problems.Count);
        Assert.StartsWith("no.such.property=1: ", error.Problems[0], StringComparison.Ordinal);
        Assert.Contains("No such configuration property: \"no.such.property\"", error.Problems[0], StringComparison.Ordinal);
        Assert.Contains("linger.ms", error.Problems[1], StringComparison.Ordinal);
        Assert.Contains("Invalid value", error.Problems[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_rejected_secret_is_not_shown_in_the_error()
    {
        var properties = new KafkaClientProperties("host:9092", [new("sasl.password.typo", "hunter2")]);

        var error = Assert.Throws<KafkaConfigurationException>(properties.Validate);

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Printing_masks_secrets()
    {
        var properties = new KafkaClientProperties("host:9092", [new("sasl.password", "hunter2"), new("sasl.username", "alice")]);

        var shown = properties.ToString();

        Assert.DoesNotContain("hunter2", shown, StringComparison.Ordinal);
        Assert.Contains("sasl.username=alice", shown, StringComparison.Ordinal);
        Assert.Contains("bootstrap.servers=host:9092", shown, StringComparison.Ordinal);
    }
}
