using Conveyor.Processing;
using Conveyor.Processing.Completions;

namespace Conveyor.Simulation;

/// <summary>
/// The invariants, checked as things happen: no commit past an unfinished message (handled or
/// dead-lettered and acknowledged), no commit by a member that does not own the partition,
/// committed offsets never backwards, commit metadata never claims an unfinished offset and stays
/// within its cap, per-key order within one assignment and across members where a handover is
/// clean (a revoke that drained in time), buffers within their caps, and every partition a member
/// owns with messages to commit commits within <see cref="ProgressBound"/>. The first violation ends the run.
/// </summary>
internal sealed class InvariantChecker
{
    /// <summary>
    /// A partition a member owns and that has messages to commit must commit within this (the
    /// worst message takes about 10 s). It is above the engine's stall timeout in a simulation
    /// (<see cref="SimEngine.StallTimeout"/>, 10 s, checked each second), so a partition held
    /// without the engine knowing is found and resumed by the watchdog before this bound passes.
    /// </summary>
    public static readonly TimeSpan ProgressBound = TimeSpan.FromSeconds(30);

    /// <summary>On a churn schedule, each partition with messages left commits something in every window this long.</summary>
    public static readonly TimeSpan ChurnWindow = TimeSpan.FromSeconds(15); // longer than the worst message (about 12 s with its retries)

    /// <summary>
    /// The floor holds for partitions with at least this many messages left: the early commit waits
    /// for the lowest unfinished offset to move half the run-ahead limit (8 here), so a smaller
    /// tail is committed only at the interval, a revoke or a stop, which churn of kills never lets come.
    /// </summary>
    public const int ChurnTail = 4;

    private readonly SimCluster _cluster;
    private long[]? _windowCommitted;
    private long[]? _windowEnds;
    private readonly SimScheduler _scheduler;
    private readonly SimTrace _trace;
    private readonly bool _checkKeyOrder;
    private readonly BitSet[] _finished;
    private readonly long[] _progressAt;
    private readonly bool[] _stopped;
    private readonly Dictionary<(int Epoch, int Partition, byte Key), (long Offset, bool Running)> _lanes = [];
    private readonly Dictionary<(int Member, int Partition, long Offset), int> _deliveredIn = [];
    private readonly Dictionary<(int Member, int Partition, byte Lane, int Epoch), int> _running = [];
    private readonly Dictionary<(int Member, int Partition), int> _cleanlyRevoked = [];
    private readonly Dictionary<(int Member, int Partition, long Offset), int> _startedIn = [];
    private readonly Dictionary<int, int> _rewinds = [];

    /// <summary>A lane's epoch holds the assignment in its low bits and the member's rewinds above them.</summary>
    private const int AssignmentBits = 20;

    public InvariantChecker(SimCluster cluster, SimScheduler scheduler, SimTrace trace)
    {
        _cluster = cluster;
        _scheduler = scheduler;
        _trace = trace;
        _checkKeyOrder = cluster.Schedule.Ordering != OrderingMode.Unordered;
        _finished = [.. Enumerable.Range(0, cluster.Schedule.Partitions).Select(_ => new BitSet())];
        _progressAt = new long[cluster.Schedule.Partitions];
        _stopped = new bool[cluster.Schedule.Partitions];
        Fairness = cluster.Schedule.LargeFetches ? new FairnessWatch(cluster, scheduler, this) : null;
    }

    /// <summary>The fairness bound, on schedules with large fetches.</summary>
    public FairnessWatch? Fairness { get; }

    /// <summary>The first violation, or null.</summary>
    public string? Violation { get; private set; }

    /// <summary>A short name of the violation's kind, which a shrunk schedule must keep.</summary>
    public string? Kind { get; private set; }

    public bool Failed => Violation is not null;

    /// <summary>A pipeline's own check of a commit (partition, from, to), made before the others.</summary>
    public Action<int, long, long>? BeforeCommit { get; set; }

    /// <summary>At-most-once: commits pass messages before they are handled, so "past an unfinished message" is no violation.</summary>
    public bool CommitsBeforeHandling { get; set; }

    /// <summary>
    /// Whether the stall watchdog may rescue a partition (the run goes on); by default its report is
    /// a violation, since in a simulation nothing holds a partition the engine does not know about
    /// unless the engine lost track of it.
    /// </summary>
    public bool RescueAllowed { get; set; }

    /// <summary>How many stalled partitions the watchdog found (and resumed) in this run.</summary>
    public int Rescues { get; private set; }

    public void WatchdogFound(int partition, TimeSpan idle)
    {
        Rescues++;
        if (!RescueAllowed)
        {
            Fail("watchdog", $"the stall watchdog found p{partition} stalled for {idle.TotalSeconds:F0} s: the client held it without the engine knowing");
        }
    }

    private static int AssignmentOf(int epoch) => epoch & ((1 << AssignmentBits) - 1);

    public void Fail(string kind, string violation)
    {
        if (Violation is null)
        {
            Kind = kind;
            Violation = violation;
            _trace.Add("VIOLATION " + violation);
        }
    }

    public bool IsFinished(int partition, long offset) => _finished[partition].Contains(offset);

    /// <summary>A partition stopped on purpose (its dead letter was not acknowledged) is not expected to progress.</summary>
    public bool IsStopped(int partition) => _stopped[partition];

    /// <summary>
    /// A message reached the member's engine in an assignment (epoch). After an aborted transaction
    /// rewound the member's partitions, what it delivers runs in new lanes, as after a new
    /// assignment: the lane's epoch carries the member's rewinds above <see cref="AssignmentBits"/>.
    /// </summary>
    public void Delivered(int member, int partition, long offset, int epoch)
    {
        _deliveredIn[(member, partition, offset)] = epoch + (_rewinds.GetValueOrDefault(member) << AssignmentBits);
        Fairness?.Delivered(member, partition, offset);
    }

    /// <summary>An aborted transaction rewound the member's owned partitions.</summary>
    public void Rewound(int member) => _rewinds[member] = _rewinds.GetValueOrDefault(member) + 1;

    /// <summary>The assignment (epoch, with the member's rewinds) a message was last delivered in to the member.</summary>
    public int EpochOf(int member, int partition, long offset) => _deliveredIn.GetValueOrDefault((member, partition, offset));

    public void Assigned(int member, int partition)
    {
        _progressAt[partition] = _scheduler.Now;
        _stopped[partition] = false;
        _cleanlyRevoked.Remove((member, partition));
        Fairness?.Assigned(partition);
    }

    /// <summary>
    /// The member gave the partition up: <paramref name="clean"/> when its revoke returned within the
    /// revoke timeout (it drained), so nothing of the partition may run there any more and the next
    /// owner may start every key at once; a lost partition or a timed-out revoke is not clean.
    /// </summary>
    public void Revoked(int member, int partition, int epoch, bool clean)
    {
        if (!clean)
        {
            return;
        }

        foreach (var ((m, p, lane, e), count) in _running)
        {
            if (m == member && p == partition && AssignmentOf(e) == epoch && count > 0)
            {
                Fail("revoke-unfinished", $"member {member}'s revoke of p{partition} returned in time while a handler of its lane '{(char)lane}' still ran");
                return;
            }
        }

        _cleanlyRevoked[(member, partition)] = epoch;
    }

    /// <summary>The member's process died: what ran there is gone, and its next incarnation starts afresh.</summary>
    public void Killed(int member)
    {
        foreach (var key in _running.Keys.Where(k => k.Member == member).ToList())
        {
            _running.Remove(key);
        }

        foreach (var key in _cleanlyRevoked.Keys.Where(k => k.Member == member).ToList())
        {
            _cleanlyRevoked.Remove(key);
        }
    }

    public void HandlerStarted(int member, int partition, long offset, byte key, int attempt)
    {
        var laneKey = _cluster.Schedule.Ordering == OrderingMode.Key ? key : (byte)0;
        var epoch = _deliveredIn.GetValueOrDefault((member, partition, offset));
        if (_cleanlyRevoked.ContainsKey((member, partition)))
        {
            Fail("after-revoke", $"member {member} started p{partition}@{offset} (attempt {attempt}) after its revoke of p{partition} drained and returned");
        }

        _running[(member, partition, laneKey, epoch)] = _running.GetValueOrDefault((member, partition, laneKey, epoch)) + 1;
        _startedIn[(member, partition, offset)] = epoch;
        if (!_checkKeyOrder)
        {
            return;
        }

        foreach (var ((m, p, l, e), count) in _running)
        {
            if (m != member && p == partition && l == laneKey && count > 0 && _cleanlyRevoked.TryGetValue((m, p), out var revoked) && revoked == AssignmentOf(e))
            {
                Fail("order-across-owners", $"member {member} started p{partition}@{offset} while member {m}, which handed p{partition} over cleanly, still ran its lane '{(char)key}'");
            }
        }

        var lane = (epoch, partition, laneKey);
        if (_lanes.TryGetValue(lane, out var last))
        {
            if (last.Running)
            {
                Fail("order", $"p{partition}@{offset} started while p{partition}@{last.Offset} of the same lane (key '{(char)key}') still ran");
            }
            else if (offset < last.Offset || (offset == last.Offset && attempt == 1))
            {
                Fail("order", $"p{partition}@{offset} (attempt {attempt}) started after p{partition}@{last.Offset} of the same lane (key '{(char)key}') in one assignment");
            }
        }

        _lanes[lane] = (offset, true);
    }

    public void HandlerEnded(int member, int partition, long offset, byte key, bool succeeded)
    {
        if (succeeded)
        {
            _finished[partition].Add(offset);
            Fairness?.Finished(partition, offset);
        }

        var laneKey = _cluster.Schedule.Ordering == OrderingMode.Key ? key : (byte)0;
        var epoch = _startedIn.GetValueOrDefault((member, partition, offset));
        if (_running.TryGetValue((member, partition, laneKey, epoch), out var running))
        {
            _running[(member, partition, laneKey, epoch)] = running - 1;
        }

        if (_checkKeyOrder)
        {
            var lane = (epoch, partition, laneKey);
            if (_lanes.TryGetValue(lane, out var last) && last.Offset == offset)
            {
                _lanes[lane] = (offset, false);
            }
        }
    }

    public void DeadLettered(int partition, long offset)
    {
        _finished[partition].Add(offset);
        Fairness?.Finished(partition, offset);
    }

    /// <summary>A message is finished by its pipeline (a forwarded input once all its outputs are stored).</summary>
    public void Finished(int partition, long offset)
    {
        _finished[partition].Add(offset);
        Fairness?.Finished(partition, offset);
    }

    public void PartitionStopped(int partition) => _stopped[partition] = true;

    /// <summary>Another member finished these messages.</summary>
    public void FinishedElsewhere(int partition, long from, long to)
    {
        for (var o = from; o < to; o++)
        {
            _finished[partition].Add(o);
        }
    }

    /// <summary>A commit is about to land; <paramref name="byMember"/> false for the other member.</summary>
    public void Committing(int partition, long offset, string metadata, bool byMember)
    {
        var previous = _cluster.Committed[partition];
        BeforeCommit?.Invoke(partition, previous, offset);
        if (offset < previous)
        {
            Fail("backwards", $"p{partition}'s committed offset moved backwards from {previous} to {offset}");
        }

        for (var o = previous; o < offset && !CommitsBeforeHandling; o++)
        {
            if (!_finished[partition].Contains(o))
            {
                Fail("past-unfinished", $"p{partition} committed at {offset}, past p{partition}@{o}, which was never handled nor dead-lettered");
                break;
            }
        }

        if (metadata.Length > 0)
        {
            if (metadata.Length > 4096)
            {
                Fail("metadata-cap", $"p{partition}'s commit metadata is {metadata.Length} bytes, over its 4096-byte cap");
            }

            var map = CompletionEncoding.Decode(metadata, offset, out var problem);
            if (map is null)
            {
                Fail("metadata", $"p{partition}'s commit metadata cannot be read back: {problem}");
            }
            else
            {
                var claimed = new List<long>();
                map.AddAbove(offset, claimed);
                foreach (var o in claimed)
                {
                    if (!_finished[partition].Contains(o))
                    {
                        Fail("completion-unfinished", $"p{partition}'s commit at {offset} records p{partition}@{o} as finished, but it never was");
                        break;
                    }
                }
            }
        }

        if (offset > previous && byMember)
        {
            _progressAt[partition] = _scheduler.Now;
        }
    }

    /// <summary>Each poll loop turn: buffers within their caps, and no partition of the member stalled.</summary>
    public void Turn(int buffered, long bufferedBytes, int maxMessages, long maxBytes)
    {
        if (buffered > maxMessages)
        {
            Fail("buffer", $"{buffered} messages buffered, over the cap of {maxMessages}");
        }

        if (bufferedBytes > maxBytes + 64)
        {
            Fail("buffer", $"{bufferedBytes} bytes buffered, over the cap of {maxBytes}");
        }

        CheckProgress();
    }

    /// <summary>
    /// A churn window ended: every partition that had messages left at its start (<see cref="ChurnTail"/> or more) committed more
    /// since (progress per simulated time above a floor; a livelock handles messages again and
    /// again and commits nothing).
    /// </summary>
    public void CheckChurnWindow()
    {
        if (_windowCommitted is { } start && _windowEnds is { } ends)
        {
            for (var p = 0; p < start.Length; p++)
            {
                if (ends[p] - start[p] >= ChurnTail && _cluster.Committed[p] <= start[p] && !_stopped[p])
                {
                    Fail("livelock", $"p{p} committed nothing in {ChurnWindow.TotalSeconds:F0} s of churn: still at {start[p]} of {_cluster.End(p)}");
                    return;
                }
            }
        }

        _windowCommitted = (long[])_cluster.Committed.Clone();
        _windowEnds = [.. Enumerable.Range(0, _cluster.Committed.Length).Select(p => _cluster.End(p))];
    }

    /// <summary>The longest a partition with messages to commit went without progress (the liveness figure <c>--seeds</c> prints).</summary>
    public TimeSpan LongestWithoutProgress { get; private set; }

    public void CheckProgress()
    {
        var now = _scheduler.Now;
        for (var p = 0; p < _progressAt.Length; p++)
        {
            if (_cluster.Owners[p] <= 0 || _stopped[p] || _cluster.Committed[p] >= _cluster.End(p))
            {
                _progressAt[p] = now;
                continue;
            }

            LongestWithoutProgress = TimeSpan.FromTicks(Math.Max(LongestWithoutProgress.Ticks, now - _progressAt[p]));

            if (now - _progressAt[p] > ProgressBound.Ticks)
            {
                Fail("stall", $"p{p} made no progress for {TimeSpan.FromTicks(now - _progressAt[p]).TotalSeconds:F1} s: committed {_cluster.Committed[p]} of {_cluster.End(p)}");
            }
        }
    }

    /// <summary>A set of offsets as bits.</summary>
    private sealed class BitSet
    {
        private ulong[] _bits = new ulong[2];

        public void Add(long offset)
        {
            var word = (int)(offset >> 6);
            if (word >= _bits.Length)
            {
                Array.Resize(ref _bits, Math.Max(word + 1, _bits.Length * 2));
            }

            _bits[word] |= 1UL << (int)(offset & 63);
        }

        public bool Contains(long offset)
        {
            var word = (int)(offset >> 6);
            return word < _bits.Length && (_bits[word] & (1UL << (int)(offset & 63))) != 0;
        }
    }
}
