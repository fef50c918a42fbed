using Conveyor.Processing;
using Conveyor.Processing.Completions;

namespace Conveyor.Simulation;

/// <summary>
/// The invariants, checked as things happen: no commit past an unfinished message (handled or
/// dead-lettered and acknowledged), no commit by a member that does not own the partition,
/// committed offsets never backwards, commit metadata never claims an unfinished offset and stays
/// within its cap, per-key order within one assignment, buffers within their caps, and every
/// partition the member owns with messages to commit commits within <see cref="ProgressBound"/>.
/// The first violation ends the run.
/// </summary>
internal sealed class InvariantChecker
{
    /// <summary>A partition the member owns and that has messages to commit must commit within this (the worst message takes about 10 s).</summary>
    public static readonly TimeSpan ProgressBound = TimeSpan.FromSeconds(30);

    private readonly SimCluster _cluster;
    private readonly SimScheduler _scheduler;
    private readonly SimTrace _trace;
    private readonly bool _checkKeyOrder;
    private readonly BitSet[] _finished;
    private readonly long[] _progressAt;
    private readonly bool[] _stopped;
    private readonly Dictionary<(int Epoch, int Partition, byte Key), (long Offset, bool Running)> _lanes = [];
    private readonly Dictionary<(int Partition, long Offset), int> _deliveredIn = [];
    private int _rewinds;

    public InvariantChecker(SimCluster cluster, SimScheduler scheduler, SimTrace trace)
    {
        _cluster = cluster;
        _scheduler = scheduler;
        _trace = trace;
        _checkKeyOrder = cluster.Schedule.Ordering != OrderingMode.Unordered;
        _finished = [.. Enumerable.Range(0, cluster.Schedule.Partitions).Select(_ => new BitSet())];
        _progressAt = new long[cluster.Schedule.Partitions];
        _stopped = new bool[cluster.Schedule.Partitions];
    }

    /// <summary>The first violation, or null.</summary>
    public string? Violation { get; private set; }

    /// <summary>A short name of the violation's kind, which a shrunk schedule must keep.</summary>
    public string? Kind { get; private set; }

    public bool Failed => Violation is not null;

    /// <summary>A pipeline's own check of a commit (partition, from, to), made before the others.</summary>
    public Action<int, long, long>? BeforeCommit { get; set; }

    /// <summary>At-most-once: commits pass messages before they are handled, so "past an unfinished message" is no violation.</summary>
    public bool CommitsBeforeHandling { get; set; }

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

    public void Delivered(int partition, long offset, int epoch) => _deliveredIn[(partition, offset)] = epoch + (_rewinds << 20);

    /// <summary>An aborted transaction rewound the owned partitions: what is delivered from now on runs in new lanes, as after a new assignment.</summary>
    public void Rewound() => _rewinds++;

    /// <summary>The assignment (epoch) a message was last delivered in.</summary>
    public int EpochOf(int partition, long offset) => _deliveredIn.GetValueOrDefault((partition, offset));

    public void Assigned(int partition)
    {
        _progressAt[partition] = _scheduler.Now;
        _stopped[partition] = false;
    }

    public void HandlerStarted(int partition, long offset, byte key, int attempt)
    {
        if (!_checkKeyOrder)
        {
            return;
        }

        var epoch = _deliveredIn.GetValueOrDefault((partition, offset));
        var lane = (epoch, partition, _cluster.Schedule.Ordering == OrderingMode.Key ? key : (byte)0);
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

    public void HandlerEnded(int partition, long offset, byte key, bool succeeded)
    {
        if (succeeded)
        {
            _finished[partition].Add(offset);
        }

        if (_checkKeyOrder)
        {
            var epoch = _deliveredIn.GetValueOrDefault((partition, offset));
            var lane = (epoch, partition, _cluster.Schedule.Ordering == OrderingMode.Key ? key : (byte)0);
            if (_lanes.TryGetValue(lane, out var last) && last.Offset == offset)
            {
                _lanes[lane] = (offset, false);
            }
        }
    }

    public void DeadLettered(int partition, long offset) => _finished[partition].Add(offset);

    /// <summary>A message is finished by its pipeline (a forwarded input once all its outputs are stored).</summary>
    public void Finished(int partition, long offset) => _finished[partition].Add(offset);

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

    public void CheckProgress()
    {
        var now = _scheduler.Now;
        for (var p = 0; p < _progressAt.Length; p++)
        {
            if (_cluster.Owners[p] != Owner.Member || _stopped[p] || _cluster.Committed[p] >= _cluster.End(p))
            {
                _progressAt[p] = now;
                continue;
            }

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
