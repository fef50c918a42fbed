using System.Runtime.InteropServices;

namespace Conveyor.Cli.CommandLine;

/// <summary>
/// Ctrl-C (SIGINT) and SIGTERM for one run of the command line, listened to from its first line:
/// the first of either asks for a clean stop (the command's token is cancelled; it drains and
/// commits), a second stops at once. One that came before the command started stops it before it
/// does anything, with a line that says so; unheard, it ended the process with no line
/// (System.CommandLine listens only once it invokes the command).
/// </summary>
internal sealed class Interrupts : IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly TextWriter _errors;
    private readonly Action<int> _exit;
    private readonly PosixSignalRegistration? _sigTerm;
    private readonly bool _listening;
    private int _signals;
    private int _first;

    private Interrupts(TextWriter errors, bool listening, Action<int> exit)
    {
        _errors = errors;
        _listening = listening;
        _exit = exit;
        if (listening)
        {
            Console.CancelKeyPress += OnCancelKeyPress;
            _sigTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSigTerm);
        }
    }

    /// <summary>Listens to the console's Ctrl-C (SIGINT) and to SIGTERM from now on.</summary>
    public static Interrupts Listen(TextWriter errors) => new(errors, listening: true, Environment.Exit);

    /// <summary>
    /// Hears only <see cref="Press"/> and <see cref="Terminate"/>: for tests, which must not stop the
    /// process they run in (<paramref name="exit"/> stands for ending it).
    /// </summary>
    public static Interrupts Unheard(TextWriter errors, Action<int>? exit = null) =>
        new(errors, listening: false, exit ?? (code => throw new InvalidOperationException($"the process would exit with {code}")));

    /// <summary>Cancelled by the first Ctrl-C or SIGTERM.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Whether Ctrl-C or SIGTERM came at all.</summary>
    public bool Pressed => Volatile.Read(ref _signals) > 0;

    /// <summary>The line to say when the first signal came before the command started.</summary>
    public string BeforeStartLine => BeforeStart(FirstSignal);

    /// <summary>The exit code for a stop before the command started: the first signal's.</summary>
    public int BeforeStartExitCode => ExitCode(FirstSignal);

    private StopSignal FirstSignal => (StopSignal)Volatile.Read(ref _first);

    /// <summary>Said when a signal came before the command started.</summary>
    public static string BeforeStart(StopSignal signal) => $"{Name(signal)} before the command started: stopping now; nothing was done";

    /// <summary>Said when a second signal stops the command at once.</summary>
    public static string Second(StopSignal signal) => $"second {Name(signal)}: stopping now, without waiting for running handlers or the final commit";

    /// <summary>The exit code of a stop at once: 128 + the signal's number, as a shell reports a process ended by it.</summary>
    public static int ExitCode(StopSignal signal) => signal == StopSignal.Terminate ? ExitCodes.Terminated : ExitCodes.Interrupted;

    /// <summary>Said when the command did not stop within <paramref name="stopTimeout"/> of the first signal.</summary>
    public static string TooSlow(StopSignal signal, TimeSpan stopTimeout) =>
        FormattableString.Invariant($"the command did not stop within {stopTimeout.TotalSeconds:0.#} s of the {Name(signal)}: stopping now, without waiting for running handlers or the final commit");

    /// <summary>
    /// The exit code of <paramref name="run"/>; but once a first signal came, it gets
    /// <paramref name="stopTimeout"/> to stop cleanly, and then the command ends at once, with a
    /// line and the signal's exit code (the process ends when the caller returns).
    /// </summary>
    public async Task<int> UntilStoppedAsync(Task<int> run, TimeSpan stopTimeout)
    {
        var signalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (Stop.Register(() => signalled.TrySetResult()))
        {
            if (await Task.WhenAny(run, signalled.Task).ConfigureAwait(false) == run)
            {
                return await run.ConfigureAwait(false);
            }
        }

        if (await Task.WhenAny(run, Task.Delay(stopTimeout)).ConfigureAwait(false) == run)
        {
            return await run.ConfigureAwait(false);
        }

        await _errors.WriteLineAsync(TooSlow(FirstSignal, stopTimeout)).ConfigureAwait(false);
        return ExitCode(FirstSignal);
    }

    /// <summary>A Ctrl-C: the first signal cancels <see cref="Stop"/>; a second ends the process with <see cref="ExitCodes.Interrupted"/>.</summary>
    public void Press() => Signal(StopSignal.Interrupt);

    /// <summary>A SIGTERM: the first signal cancels <see cref="Stop"/>; a second ends the process with <see cref="ExitCodes.Terminated"/>.</summary>
    public void Terminate() => Signal(StopSignal.Terminate);

    public void Dispose()
    {
        if (_listening)
        {
            Console.CancelKeyPress -= OnCancelKeyPress;
            _sigTerm?.Dispose();
        }

        _stop.Dispose();
    }

    private static string Name(StopSignal signal) => signal == StopSignal.Terminate ? "SIGTERM" : "Ctrl-C";

    private void Signal(StopSignal signal)
    {
        Interlocked.CompareExchange(ref _first, (int)signal, 0); // before it counts: whoever sees Pressed sees which
        if (Interlocked.Increment(ref _signals) >= 2)
        {
            _errors.WriteLine(Second(signal));
            _exit(ExitCode(signal));
            return;
        }

        _stop.Cancel();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true; // not the runtime's default, which ends the process with no word
        Press();
    }

    private void OnSigTerm(PosixSignalContext context)
    {
        context.Cancel = true; // not the runtime's default, which ends the process with no word
        Terminate();
    }
}
