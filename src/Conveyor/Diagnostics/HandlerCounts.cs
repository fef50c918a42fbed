namespace Conveyor.Diagnostics;

/// <summary>
/// One partition's handler calls running now and handled so far. Counted per partition, without a
/// lock, because every handler call passes here: workers of different partitions never touch the
/// same counters.
/// </summary>
internal sealed class HandlerCounts
{
    private int _running;
    private long _handled;

    public int Running => Volatile.Read(ref _running);

    public long Handled => Interlocked.Read(ref _handled);

    public void Start() => Interlocked.Increment(ref _running);

    /// <summary>A batch handler call ends, having handled <paramref name="handled"/> messages.</summary>
    public void End(int handled)
    {
        Interlocked.Decrement(ref _running);
        Interlocked.Add(ref _handled, handled);
    }

    public void End(bool succeeded)
    {
        Interlocked.Decrement(ref _running);
        if (succeeded)
        {
            Interlocked.Increment(ref _handled);
        }
    }
}
