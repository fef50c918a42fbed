namespace Conveyor.Simulation;

/// <summary>
/// On fairness schedules (fetches of up to 500 messages of one partition, as a real broker hands
/// out): no partition that is ready (messages left to read, none of its delivered messages
/// unfinished) waits more than <see cref="Bound"/> while another partition's messages are
/// delivered. Without the feeder's rotation a partition whose fetch run fills the buffer keeps
/// the others out until its run is done.
/// </summary>
internal sealed class FairnessWatch(SimCluster cluster, SimScheduler scheduler, InvariantChecker checker)
{
    /// <summary>
    /// The longest a ready partition may wait while others are served. With the rotation each of
    /// the other two or three partitions takes a slice of half its share of the 40-message buffer
    /// (5-6 messages) in turn, at the handlers' 40 a second, and a fetch takes up to 30 ms: at most
    /// 0.41 s in 200 seeds (median 0.30). Without it each takes its whole share before it is
    /// paused, twice as long (median 0.61 s, most 0.82).
    /// </summary>
    public static readonly TimeSpan Bound = TimeSpan.FromSeconds(0.6);

    private readonly long[] _servedAt = new long[cluster.Partitions.Length];
    private readonly long[] _idleAt = new long[cluster.Partitions.Length];
    private readonly long[] _readTop = new long[cluster.Partitions.Length];
    private readonly HashSet<long>[] _outstanding = [.. Enumerable.Range(0, cluster.Partitions.Length).Select(_ => new HashSet<long>())];

    /// <summary>The longest wait seen.</summary>
    public TimeSpan LongestWait { get; private set; }

    public void Assigned(int partition)
    {
        _servedAt[partition] = _idleAt[partition] = scheduler.Now;
        _readTop[partition] = cluster.Committed[partition];
        _outstanding[partition].Clear();
    }

    public void Finished(int partition, long offset)
    {
        if (_outstanding[partition].Remove(offset) && _outstanding[partition].Count == 0)
        {
            _idleAt[partition] = scheduler.Now;
        }
    }

    public void Delivered(int member, int partition, long offset)
    {
        var now = scheduler.Now;
        _outstanding[partition].Add(offset);
        _servedAt[partition] = now;
        _readTop[partition] = Math.Max(_readTop[partition], offset + 1);
        for (var q = 0; q < _servedAt.Length; q++)
        {
            if (q == partition || cluster.Owners[q] != member || checker.IsStopped(q) || _outstanding[q].Count > 0 || cluster.End(q) <= _readTop[q])
            {
                continue;
            }

            var wait = TimeSpan.FromTicks(now - Math.Max(_servedAt[q], _idleAt[q]));
            LongestWait = wait > LongestWait ? wait : LongestWait;
            if (wait > Bound)
            {
                checker.Fail("unfair", $"p{q} was ready (messages to read, none unfinished) for {wait.TotalSeconds:F1} s while p{partition} was served");
            }
        }
    }
}
