namespace Conveyor.Cli.Verify;

/// <summary>
/// Watches a verify run for a count that does not move. The clock for a stall starts when the first
/// worker has been assigned partitions: until then the wait is process start-up and the group's first
/// assignment, which on a loaded machine can take longer than the stall timeout (seen: 14 s with
/// the verifier and its workers held to a twentieth of a core) while no partition was anyone's to
/// stall. That wait is reported apart, so a slow start is not blamed on the partitions.
/// </summary>
internal sealed class RunWatch(TimeSpan stallTimeout)
{
    private readonly ProgressWatch _start = new(stallTimeout);
    private readonly ProgressWatch _progress = new(stallTimeout);

    /// <param name="settled">Ids processed or dead-lettered so far.</param>
    /// <param name="assigned">Whether any worker has been assigned partitions yet.</param>
    /// <param name="now">The time of this look: elapsed on the monotonic clock since some fixed start.</param>
    /// <returns>A notice when one is due (then again every stall timeout), otherwise null.</returns>
    public RunNotice? Check(long settled, bool assigned, TimeSpan now)
    {
        if (!assigned)
        {
            return _start.Stalled(0, now) is { } waited ? new RunNotice(true, waited) : null;
        }

        return _progress.Stalled(settled, now) is { } idle ? new RunNotice(false, idle) : null;
    }
}
