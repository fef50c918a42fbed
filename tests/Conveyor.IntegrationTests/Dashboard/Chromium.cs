using System.Diagnostics;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary>
/// The browser the dashboard tests drive: <c>CONVEYOR_CHROMIUM</c>, else Debian's chromium, which
/// <c>dotnet test</c> installs itself (apt-get, once per test run) on a fresh Debian machine where it
/// is missing, as the README promises that the test command does its own set-up.
/// </summary>
internal static class Chromium
{
    private const string DebianPath = "/usr/bin/chromium";
    private static readonly Lazy<Task<string>> Installed = new(InstallAsync);

    public static Task<string> PathAsync() =>
        Environment.GetEnvironmentVariable("CONVEYOR_CHROMIUM") is { Length: > 0 } given ? Task.FromResult(given) : Installed.Value;

    private static async Task<string> InstallAsync()
    {
        if (File.Exists(DebianPath))
        {
            return DebianPath;
        }

        // As root directly, otherwise through sudo without a password prompt.
        var (command, prefix) = Environment.UserName == "root" ? ("apt-get", "") : ("sudo", "-n apt-get ");
        foreach (var arguments in new[] { $"{prefix}update -q", $"{prefix}install -y -q chromium" })
        {
            var (exitCode, output) = await RunAsync(command, arguments);
            if (exitCode != 0)
            {
                throw new InvalidOperationException(
                    $"No chromium at {DebianPath}, and '{command} {arguments}' failed (exit {exitCode}): {output.Trim()}. "
                    + "Install Debian's chromium (apt-get install chromium) or set CONVEYOR_CHROMIUM to a chromium binary.");
            }
        }

        return File.Exists(DebianPath)
            ? DebianPath
            : throw new InvalidOperationException($"apt-get installed chromium, but {DebianPath} is missing: set CONVEYOR_CHROMIUM to its binary.");
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, string arguments)
    {
        var start = new ProcessStartInfo(command, arguments) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {command}.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        var error = await stderr;
        return (process.ExitCode, process.ExitCode == 0 ? await stdout : error);
    }
}
