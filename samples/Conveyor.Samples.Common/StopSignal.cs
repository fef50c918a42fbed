using System.Runtime.InteropServices;

namespace Conveyor.Samples;

/// <summary>Cancelled by Ctrl-C or SIGTERM (the process then drains and commits before it exits), or by the caller's token.</summary>
public sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly PosixSignalRegistration _interrupt;
    private readonly PosixSignalRegistration _terminate;

    public StopSignal(CancellationToken caller)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(caller);
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    public CancellationToken Token => _stop.Token;

    /// <summary>Stops when <paramref name="done"/> completes, unless asked to keep running.</summary>
    public void StopWhen(Task done, bool keepRunning) =>
        done.ContinueWith(_ => { if (!keepRunning) { _stop.Cancel(); } }, CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _stop.Dispose();
    }

    private void Stop(PosixSignalContext context)
    {
        context.Cancel = true;
        _stop.Cancel();
    }
}
