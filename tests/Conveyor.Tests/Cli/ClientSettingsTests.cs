using Conveyor.Cli.Kafka;
using Conveyor.Configuration;

namespace Conveyor.Tests.Cli;

public class ClientSettingsTests
{
    [Fact]
    public void An_engine_processor_gets_the_short_session_timeout_the_cli_documents()
    {
        var settings = new ClientSettings(new KafkaClientProperties("localhost:9092"));

        var properties = settings.ForProcessor().ToDictionary();

        Assert.Equal("6000", properties["session.timeout.ms"]);
        Assert.Equal("localhost:9092", properties["bootstrap.servers"]);
    }

    [Fact]
    public void A_property_given_with_X_wins_over_the_cli_default()
    {
        var settings = new ClientSettings(new KafkaClientProperties("localhost:9092", [new KafkaProperty("session.timeout.ms", "45000")]));

        var properties = settings.ForProcessor();

        Assert.Equal("45000", properties.ToDictionary()["session.timeout.ms"]);
        Assert.Single(properties.Properties, p => p.Key == "session.timeout.ms");
    }
}
