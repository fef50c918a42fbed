using System.Diagnostics;

namespace Conveyor.IntegrationTests.Hosting;

/// <summary>The sample worker as a user starts it, with a setting out of range.</summary>
public class SampleWorkerSettingsTests
{
    [Fact]
    public async Task Invalid_settings_are_reported_before_the_embedded_broker_starts_without_a_stack_trace()
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Conveyor.Samples.Worker.dll"));
        start.ArgumentList.Add("--Conveyor:Processors:Orders:MaxConcurrency=0");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, process.ExitCode);
        var line = Assert.Single((await errors).Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: invalid configuration (1 problem; nothing was started): ", line, StringComparison.Ordinal);
        Assert.Contains("MaxConcurrency must be between 1 and 100000; it is 0.", line, StringComparison.Ordinal);
        Assert.DoesNotContain("embedded Kafka broker", await output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", await errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_processor_failure_that_stops_the_sample_worker_exits_1()
    {
        // Order 7 of the demo is invalid; with StopProcessor it stops the processor and the application.
        var (exitCode, _, errors) = await RunSample("--Conveyor:Processors:Orders:OnFailure=StopProcessor", "--Urls=http://127.0.0.1:0");

        Assert.Equal(1, exitCode);
        Assert.DoesNotContain("   at ", errors, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> RunSample(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Conveyor.Samples.Worker.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
        return (process.ExitCode, await output, await errors);
    }
}
