using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Conveyor.Cli.Verify;

/// <summary>A verify worker as an OS process of its own, so the verifier can kill it.</summary>
internal sealed partial class WorkerProcess : IDisposable
{
    private const int SigTerm = 15;
    private readonly Process _process;
    private readonly long _startedAt = Stopwatch.GetTimestamp();

    private WorkerProcess(Process process)
    {
        _process = process;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>How long ago it was started, on the monotonic clock.</summary>
    public TimeSpan Age => Stopwatch.GetElapsedTime(_startedAt);

    /// <summary>Starts <c>conveyor verify-worker</c> with these arguments, using this very program.</summary>
    /// <param name="arguments">The worker's command line after <c>verify-worker</c>.</param>
    /// <param name="environment">Variables the worker gets besides this process's own.</param>
    /// <param name="errors">Where the worker's standard error goes, each line prefixed with its process id.</param>
    /// <param name="assigned">Called when the worker says its group gave it partitions (<see cref="WorkerSignals.Assigned"/>).</param>
    public static WorkerProcess Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string> environment, TextWriter errors, Action assigned)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(WorkerProcess).Assembly.Location);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add("verify-worker");
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                errors.WriteLine($"worker {process.Id}: {e.Data}");
            }
        };
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data == WorkerSignals.Assigned)
            {
                assigned();
            }
        };
        process.Start();
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        return new WorkerProcess(process);
    }

    /// <summary>SIGKILL: no drain, no commit, no goodbye to the group.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }
    }

    /// <summary>SIGTERM, then waits for the clean stop (drain, commit, leave the group).</summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            _ = SendSignal(_process.Id, SigTerm);
        }

        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            Kill();
        }
    }

    public void Dispose()
    {
        Kill();
        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
