namespace Conveyor.Processing.Engine;

/// <summary>
/// How fast the handlers drain the buffer, told on the poll thread from what it submitted and
/// what is still buffered at each look (no clock or counter shared with the workers). Back-pressure
/// asks it how long a message taken now would wait behind the buffered ones: a few milliseconds
/// with fast handlers, seconds with slow ones.
/// </summary>
internal sealed class DrainRate
{
    /// <summary>The shortest time a measurement spans: shorter ones are mostly the workers' scheduling.</summary>
    private static readonly TimeSpan Span = TimeSpan.FromMilliseconds(20);

    private long _submitted;
    private long _submittedAtLook;
    private int _bufferedAtLook;
    private long _drained;
    private DateTime _since;

    /// <summary>Messages handled (finished or dropped) per second while there was something to handle, smoothed over the last measurements; null before the first.</summary>
    public double? PerSecond { get; private set; }

    /// <summary>The poll loop handed <paramref name="count"/> messages to the dispatcher.</summary>
    public void Submitted(int count) => _submitted += count;

    /// <summary>A look at the buffer: what left it since the last look counts as drained.</summary>
    public void Look(DateTime now, int buffered)
    {
        if (_bufferedAtLook == 0)
        {
            // Nothing to handle since the last look: idle time tells nothing of the handlers' pace.
            _drained = 0;
            _since = now;
        }
        else
        {
            _drained += Math.Max(0, _bufferedAtLook + (_submitted - _submittedAtLook) - buffered);
            var elapsed = now - _since;
            if (elapsed >= Span)
            {
                var rate = _drained / elapsed.TotalSeconds;
                PerSecond = PerSecond is { } last ? (last + rate) / 2 : rate;
                _drained = 0;
                _since = now;
            }
        }

        _submittedAtLook = _submitted;
        _bufferedAtLook = buffered;
    }
}
