using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Conveyor.IntegrationTests.Support;

/// <summary>The <c>conveyor</c> command as a real OS process, its output recorded line by line.</summary>
internal sealed partial class CliProcess : IAsyncDisposable
{
    private const int SigInt = 2;
    private const int SigTerm = 15;

    private readonly Process _process;

    private CliProcess(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Conveyor.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("CONVEYOR_BOOTSTRAP_SERVERS");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Record(Output, e.Data);
        _process.ErrorDataReceived += (_, e) => Record(Errors, e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public LineRecorder Output { get; } = new();

    public LineRecorder Errors { get; } = new();

    public StreamWriter Input => _process.StandardInput;

    public static CliProcess Start(IReadOnlyDictionary<string, string>? environment, params string[] args) => new(args, environment);

    public static CliProcess Start(params string[] args) => new(args, null);

    /// <summary>Sends SIGTERM, as a service manager or Ctrl-C would, asking for a clean stop.</summary>
    public void Terminate() => Send(SigTerm);

    /// <summary>Sends SIGINT, as Ctrl-C in a terminal does.</summary>
    public void Interrupt() => Send(SigInt);

    /// <summary>
    /// Waits until no <paramref name="signal"/> (2 SIGINT, 15 SIGTERM) waits to be delivered to the
    /// process (Linux: <c>ShdPnd</c> in <c>/proc/PID/status</c>), so that a next one is a signal of its
    /// own: two sent while the first is still pending arrive as one.
    /// </summary>
    public async Task WaitUntilDeliveredAsync(int signal, TimeSpan timeout)
    {
        var bit = 1L << (signal - 1);
        using var cancel = new CancellationTokenSource(timeout);
        while (!_process.HasExited && (PendingSignals() & bit) != 0)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(10), cancel.Token); // polled: the kernel tells nobody when it delivers
        }
    }

    /// <summary>Waits for the process to end and returns its exit code, output fully read.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cancel.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    public override string ToString() => $"stdout:{Environment.NewLine}{Output}{Environment.NewLine}stderr:{Environment.NewLine}{Errors}";

    private void Send(int signal)
    {
        if (!_process.HasExited && Kill(_process.Id, signal) != 0)
        {
            throw new InvalidOperationException($"kill({_process.Id}, {signal}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    private long PendingSignals()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("ShdPnd:", StringComparison.Ordinal));
            return long.Parse(line["ShdPnd:".Length..].Trim(), System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return 0; // the process is gone: nothing pending
        }
    }

    private static void Record(LineRecorder recorder, string? line)
    {
        if (line is not null)
        {
            recorder.WriteLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
