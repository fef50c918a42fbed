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
        var lines = (await errors).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("Invalid configuration (1 problems):", lines[0].TrimEnd());
        Assert.Contains("MaxConcurrency must be between 1 and 100000; it is 0.", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("embedded Kafka broker", await output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", await errors, StringComparison.Ordinal);
    }
}
