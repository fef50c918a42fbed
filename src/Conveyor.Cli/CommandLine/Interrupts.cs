namespace Conveyor.Cli.CommandLine;

/// <summary>
/// Ctrl-C for one run of the command line, listened to from its first line: the first asks for a
/// clean stop (the command's token is cancelled), a second stops at once. One pressed before the
/// command started stops it before it does anything, with a line that says so; unheard, it ended the
/// process with exit 130 and no line (System.CommandLine listens only once it invokes the command).
/// </summary>
internal sealed class Interrupts : IDisposable
{
    /// <summary>Said when a second Ctrl-C stops the command at once.</summary>
    public const string SecondLine = "second Ctrl-C: stopping now, without waiting for running handlers or the final commit";

    /// <summary>Said when Ctrl-C came before the command started.</summary>
    public const string BeforeStartLine = "Ctrl-C before the command started: stopping now; nothing was done";

    private readonly CancellationTokenSource _stop = new();
    private readonly TextWriter _errors;
    private readonly bool _listening;
    private int _presses;

    private Interrupts(TextWriter errors, bool listening)
    {
        _errors = errors;
        _listening = listening;
        if (listening)
        {
            Console.CancelKeyPress += OnCancelKeyPress;
        }
    }

    /// <summary>Listens to the console's Ctrl-C (SIGINT) from now on.</summary>
    public static Interrupts Listen(TextWriter errors) => new(errors, listening: true);

    /// <summary>Hears only <see cref="Press"/>: for tests, which must not stop the process they run in.</summary>
    public static Interrupts Unheard(TextWriter errors) => new(errors, listening: false);

    /// <summary>Cancelled by the first Ctrl-C.</summary>
    public CancellationToken Stop => _stop.Token;

    /// <summary>Whether Ctrl-C was pressed at all.</summary>
    public bool Pressed => Volatile.Read(ref _presses) > 0;

    /// <summary>A Ctrl-C: the first cancels <see cref="Stop"/>; a second ends the process with <see cref="ExitCodes.Interrupted"/>.</summary>
    public void Press()
    {
        if (Interlocked.Increment(ref _presses) >= 2)
        {
            _errors.WriteLine(SecondLine);
            Environment.Exit(ExitCodes.Interrupted);
        }

        _stop.Cancel();
    }

    public void Dispose()
    {
        if (_listening)
        {
            Console.CancelKeyPress -= OnCancelKeyPress;
        }

        _stop.Dispose();
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true; // not the runtime's default, which ends the process with no word
        Press();
    }
}
