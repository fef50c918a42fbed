using System.Diagnostics;
using Conveyor.Processing.Concurrency;

namespace Conveyor.Processing.Engine;

/// <summary>
/// The live concurrency limit (<see cref="Concurrency.ConcurrencyLimit"/> sets it): a take counts
/// until its worker releases it, and no take is served while as many are out as the limit allows.
/// Workers over the limit wait idle like workers without a ready message; raising the limit wakes
/// them, lowering it lets the running ones finish. Nothing ready leaves its queue meanwhile, so
/// lanes, turns and offsets are as without a limit. A completed dispatcher ignores it, so workers end.
/// The rate limit (<see cref="ConcurrencyOptions.MessagesPerSecond"/>) works the same way: a take
/// also needs a token, and while none is there workers wait idle, a timer wakes them when the next
/// one is due; no worker waits holding a message and nothing is paused.
/// </summary>
internal sealed partial class Dispatcher
{
    private int _limit = int.MaxValue;
    private int _taken;
    private TokenBucket? _rate;
    private Timer? _rateTimer;
    private bool _rateArmed;
    private long _heldUntil;

    /// <summary>Handler runs (messages, or batches' runs) allowed at once now; <see cref="int.MaxValue"/> until set.</summary>
    public int Limit => Volatile.Read(ref _limit);

    /// <summary>Messages (or runs) taken by workers and not yet released: what runs now, or is about to.</summary>
    public int Taken => Volatile.Read(ref _taken);

    private bool HasSlotLocked => (_taken < _limit && NotHeldLocked() && HasTokenLocked()) || _completed;

    /// <summary>Sets the limit; a raise hands ready messages to idle workers at once.</summary>
    public void SetLimit(int limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        lock (_lock)
        {
            Volatile.Write(ref _limit, limit);
            WakeLocked();
        }
    }

    /// <summary>A worker is done with what <see cref="TakeAsync"/> gave it (run, retried later, handed off or dropped).</summary>
    public void Release()
    {
        lock (_lock)
        {
            Volatile.Write(ref _taken, _taken - 1);
            WakeLocked();
        }
    }

    /// <summary>Takes at most <paramref name="perSecond"/> messages a second from now on (before the run starts).</summary>
    public void SetRate(double perSecond)
    {
        lock (_lock)
        {
            _rate = new TokenBucket(perSecond, Stopwatch.GetTimestamp(), Stopwatch.Frequency);
        }
    }

    /// <summary>The overload back-off: no take is served for <paramref name="backOff"/> (running handlers go on); a timer ends it.</summary>
    public void Hold(TimeSpan backOff)
    {
        lock (_lock)
        {
            _heldUntil = Stopwatch.GetTimestamp() + (long)(backOff.TotalSeconds * Stopwatch.Frequency);
        }
    }

    private bool NotHeldLocked()
    {
        // Every take asks: without a hold (the overload back-off is off, or its hold ended) no clock is read.
        if (_heldUntil == 0)
        {
            return true;
        }

        var now = Stopwatch.GetTimestamp();
        if (now >= _heldUntil)
        {
            _heldUntil = 0;
            return true;
        }

        ArmWakeLocked(_heldUntil);
        return false;
    }

    /// <summary>A take that follows spends its token.</summary>
    private void TakenLocked()
    {
        _taken++;
        _rate?.Spend();
    }

    private bool HasTokenLocked()
    {
        if (_rate is null || _rate.Has(Stopwatch.GetTimestamp(), out var due))
        {
            return true;
        }

        ArmWakeLocked(due);
        return false;
    }

    /// <summary>Wakes idle workers at <paramref name="due"/> (a token, or the end of a hold); one time armed at once, and it re-arms whatever still waits.</summary>
    private void ArmWakeLocked(long due)
    {
        if (!_rateArmed && !_completed)
        {
            _rateArmed = true;
            _rateTimer ??= new Timer(_ => OnTokenDue());
            _rateTimer.Change(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due) + TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        }
    }

    private void OnTokenDue()
    {
        lock (_lock)
        {
            _rateArmed = false;
            if (!_completed)
            {
                WakeLocked();
            }
        }
    }
}
