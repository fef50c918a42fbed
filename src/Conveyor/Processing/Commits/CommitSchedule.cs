namespace Conveyor.Processing.Commits;

/// <summary>
/// When the poll loop commits: once <see cref="ProcessorOptions.CommitInterval"/> passed since the
/// last commit, or as soon as <see cref="ProcessorOptions.CommitEveryMessages"/> messages finished
/// since then, whichever comes first. Workers count finished messages from any thread; the poll
/// loop asks and restarts.
/// </summary>
internal sealed class CommitSchedule
{
    private readonly TimeSpan _interval;
    private readonly int? _everyMessages;
    /// <summary>The least time between an early commit (<see cref="MayCommitEarly"/>) and the commit before it.</summary>
    private static readonly TimeSpan EarlyGap = TimeSpan.FromMilliseconds(100);

    private long _finished;
    private DateTime _next;
    private DateTime _earliest;

    public CommitSchedule(TimeSpan interval, int? everyMessages)
    {
        _interval = interval;
        _everyMessages = everyMessages;
        _next = DateTime.MaxValue;
    }

    /// <summary>Messages finished since the last restart (counted only with <see cref="ProcessorOptions.CommitEveryMessages"/>).</summary>
    public long Finished => Interlocked.Read(ref _finished);

    /// <summary>
    /// A message finished (handled, or dead-lettered and acknowledged). Thread-safe. Counted only
    /// when commits are due by count: every worker calls this for every message, and the shared
    /// counter is otherwise only a cache line the workers fight over.
    /// </summary>
    public void MessageFinished()
    {
        if (_everyMessages is not null)
        {
            Interlocked.Increment(ref _finished);
        }
    }

    /// <summary>True when a commit is due.</summary>
    public bool IsDue(DateTime now) => now >= _next || (_everyMessages is { } count && Finished >= count);

    /// <summary>
    /// Whether a commit may come before it is due, because a partition asks for one (watermark
    /// commits bound what a rebalance hands out again): not within <see cref="EarlyGap"/> of the
    /// last commit, nor while a failed commit waits for its retry.
    /// </summary>
    public bool MayCommitEarly(DateTime now) => now >= _earliest;

    /// <summary>A commit starts now: the next is due after the interval or the next batch of messages.</summary>
    public void Restart(DateTime now)
    {
        Interlocked.Exchange(ref _finished, 0);
        _next = now + _interval;
        _earliest = now + (EarlyGap < _interval ? EarlyGap : _interval);
    }

    /// <summary>A commit failed: try again after <paramref name="delay"/> (or the message count, whichever comes first).</summary>
    public void RetryAfter(DateTime now, TimeSpan delay) => _earliest = _next = now + delay;
}
