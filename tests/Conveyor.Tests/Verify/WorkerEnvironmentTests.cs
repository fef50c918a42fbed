using Conveyor.Cli.Verify;
using Conveyor.Configuration;

namespace Conveyor.Tests.Verify;

public class WorkerEnvironmentTests
{
    [Fact]
    public void Properties_reach_the_worker_through_the_environment_unchanged()
    {
        KafkaProperty[] properties = [new("sasl.password", "s3cret=with equals"), new("security.protocol", "SASL_SSL")];

        var environment = WorkerEnvironment.For(properties);

        Assert.Equal(properties, WorkerEnvironment.ReadProperties(environment[WorkerEnvironment.PropertiesVariable]));
    }

    [Fact]
    public void No_variable_means_no_properties()
    {
        Assert.Empty(WorkerEnvironment.ReadProperties(null));
    }

    [Fact]
    public void A_malformed_variable_is_named_in_the_error()
    {
        var error = Assert.Throws<FormatException>(() => WorkerEnvironment.ReadProperties("sasl.password=x"));

        Assert.Contains(WorkerEnvironment.PropertiesVariable, error.Message, StringComparison.Ordinal);
    }
}
