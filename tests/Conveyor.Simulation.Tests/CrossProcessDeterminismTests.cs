using System.Diagnostics;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// Same seed, same run, across processes: the simulator console run twice as separate processes
/// prints the same fingerprint (a hash of the whole trace) as a run in this process. Nothing of
/// the process (hash codes of strings, thread ids, the thread pool) may leak into a run.
/// </summary>
public sealed class CrossProcessDeterminismTests
{
    [Theory]
    [InlineData(38, 1)]
    [InlineData(4242, 2)]
    [InlineData(609, 3)]
    public void Two_processes_and_this_one_run_a_seed_bit_for_bit_alike(int seed, int members)
    {
        var here = RunFingerprint.Of(SimWorld.Run(ScheduleGenerator.For(seed, members: members), trace: true));

        var first = RunConsole(seed, members);
        var second = RunConsole(seed, members);

        Assert.Equal(first, second);
        Assert.Equal(here, first);
    }

    private static string RunConsole(int seed, int members)
    {
        var simulator = Path.Combine(AppContext.BaseDirectory, "Conveyor.Simulation.dll");
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[] { simulator, "--hash", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--members", members.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(2)), "the simulator process ended");
        Assert.True(process.ExitCode == 0, $"the simulator exited with {process.ExitCode}: {error.Result}");
        return output.Result.Trim();
    }
}
