using Conveyor.IntegrationTests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conveyor.IntegrationTests.Hosting;

/// <summary>The README's hosting snippet as written, with a mistake in its configuration: one line, exit 2, nothing started.</summary>
public class HostStartupCheckTests
{
    [Theory]
    [InlineData("MaxConcurrency", "-1", "MaxConcurrency must be between 1 and 100000; it is -1.")]
    [InlineData("Kafka:sasl.mechanisms", "BOGUS", "librdkafka cannot create a client with these settings: Unsupported SASL mechanism: BOGUS")]
    public async Task Invalid_configuration_is_one_line_and_exit_code_2_before_the_host_starts(string key, string value, string expected)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Conveyor:Processors:Orders:GroupId"] = Names.Unique("group"),
            ["Conveyor:Processors:Orders:Topics:0"] = "orders",
            ["Conveyor:Processors:Orders:Kafka:bootstrap.servers"] = "127.0.0.1:1",
            ["Conveyor:Processors:Orders:Kafka:security.protocol"] = "SASL_PLAINTEXT",
            ["Conveyor:Processors:Orders:" + key] = value,
        });
        builder.Services.AddConveyorProcessor<string, string, NeverCalled>("orders", builder.Configuration.GetSection("Conveyor:Processors:Orders"));
        using var host = builder.Build();
        using var errors = new StringWriter();

        var exitCode = await host.RunConveyorAsync(errors, CancellationToken.None).WaitAsync(Timeouts.Stop);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(errors.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: invalid configuration (1 problem; nothing was started): Conveyor processor 'orders' (configuration section 'Conveyor:Processors:Orders'): ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    private sealed class NeverCalled : Conveyor.Hosting.IMessageHandler<string, string>
    {
        public ValueTask HandleAsync(Conveyor.Processing.MessageContext<string, string> message, CancellationToken cancellationToken) =>
            throw new InvalidOperationException("the host must not start");
    }
}
