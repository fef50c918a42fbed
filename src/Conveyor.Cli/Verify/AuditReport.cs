using System.Globalization;
using System.Text.Json;

namespace Conveyor.Cli.Verify;

/// <summary>What the verifier found: every produced id must be processed or dead-lettered.</summary>
internal sealed record AuditReport(
    int Produced,
    int Processed,
    int DeadLettered,
    int Lost,
    int Pending,
    int Duplicates,
    int WorstDuplicate,
    IReadOnlyDictionary<string, int> Faults,
    TimeSpan Duration,
    string Strategy)
{
    /// <summary>Up to 20 lost messages as <c>id (partition N offset M)</c>, to start the search for the cause.</summary>
    public IReadOnlyList<string> LostSamples { get; init; } = [];

    /// <summary>
    /// Input partitions with pending messages: how many, the lowest pending offset, and the group's
    /// committed offset there (-1: none). A partition whose committed offset does not move while
    /// its messages wait is one nobody consumes.
    /// </summary>
    public IReadOnlyList<PendingPartition> PendingPartitions { get; init; } = [];

    /// <summary>What kept the audit from seeing everything (records deleted by the broker, topics not read to the end); empty when complete.</summary>
    public IReadOnlyList<string> AuditProblems { get; init; } = [];

    /// <summary>The run's seed (<c>verify --seed</c>): the same seed draws the same fault schedule and handler dice.</summary>
    public int Seed { get; init; }

    /// <summary>How the engine committed: <c>persisted</c> completions or the <c>watermark</c> alone (<c>verify --completions</c>).</summary>
    public string Completions { get; init; } = "watermark";

    /// <summary>Duplicates per processed message: the share of work done twice.</summary>
    public double DuplicatesPerProcessed => Processed == 0 ? 0 : (double)Duplicates / Processed;

    /// <summary>Whether the workers forwarded with <c>DeliveryGuarantee.ExactlyOnce</c> (<c>verify --exactly-once</c>).</summary>
    public bool ExactlyOnce { get; init; }

    /// <summary>
    /// Whether duplicates fail the run: in exactly-once mode against a real cluster. Not on the
    /// embedded broker, which accepts transactions without enforcing them (aborted records stay visible).
    /// </summary>
    public bool DuplicatesJudged { get; init; }

    /// <summary>
    /// Whether the group's committed offsets are unknown to the audit: exactly-once on the embedded
    /// broker, which does not store offsets sent to a transaction. Lost and pending cannot be told
    /// apart then, so any pending message fails the run too.
    /// </summary>
    public bool CommittedOffsetsUnknown { get; init; }

    /// <summary>
    /// Whether scheduled faults (worker or broker) were asked and can be injected here: a run that
    /// then injected none tested nothing, and does not pass.
    /// </summary>
    public bool FaultsExpected { get; init; }

    /// <summary>Faults were asked, none was injected: the run proves nothing.</summary>
    public bool NoFaultInjected => FaultsExpected && Faults.Values.Sum() == 0;

    /// <summary>
    /// Nothing lost, nothing pending (every message processed or dead-lettered: a run that ends
    /// with messages nobody handled has found a stall, or was cut short), the audit saw every record
    /// it needed, and no duplicates where they are judged.
    /// </summary>
    public bool Passed => Lost == 0 && Pending == 0 && !Shortfall && !NothingProduced && AuditProblems.Count == 0
        && (!DuplicatesJudged || Duplicates == 0) && !NoFaultInjected;

    /// <summary>Nothing was produced: there was nothing to lose, so the run proves nothing.</summary>
    public bool NothingProduced => Produced == 0;

    /// <summary>
    /// Fewer messages processed than produced and not dead-lettered. Every such message is lost or
    /// pending, so this only holds on its own when the figures do not add up: checked anyway, so
    /// that no counting mistake can make a run that did not do the work pass.
    /// </summary>
    public bool Shortfall => Processed < Produced - DeadLettered;

    /// <summary>
    /// Compares the ids produced with the ids recorded in the output and dead-letter topics.
    /// Lost: neither processed nor dead-lettered although the group committed past its offset.
    /// Pending: neither, but not committed past either (a run cut short; consumed again later).
    /// Duplicates: output records beyond the first for an id; the worst is the most records any one id has.
    /// </summary>
    public static AuditReport Compare(
        IReadOnlyDictionary<long, (int Partition, long Offset)> produced,
        IReadOnlyDictionary<int, long> committed,
        IEnumerable<long> outputRecords,
        IEnumerable<long> deadLetterRecords,
        IReadOnlyDictionary<string, int> faults,
        TimeSpan duration,
        string strategy)
    {
        var counts = new Dictionary<long, int>();
        foreach (var id in outputRecords)
        {
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }

        var deadLettered = deadLetterRecords.ToHashSet();
        var unsettled = produced.Where(p => !counts.ContainsKey(p.Key) && !deadLettered.Contains(p.Key)).ToList();
        var lostMessages = unsettled.Where(p => p.Value.Offset < committed.GetValueOrDefault(p.Value.Partition, -1)).ToList();
        var lost = lostMessages.Count;
        var pendingPartitions = PendingPartition.Of(unsettled.Where(p => p.Value.Offset >= committed.GetValueOrDefault(p.Value.Partition, -1)).Select(p => p.Value), committed);
        return new AuditReport(
            produced.Count,
            counts.Keys.Count(produced.ContainsKey),
            deadLettered.Count(produced.ContainsKey),
            lost,
            unsettled.Count - lost,
            counts.Values.Sum(c => c - 1),
            counts.Count == 0 ? 0 : counts.Values.Max(),
            faults,
            duration,
            strategy)
        {
            LostSamples = [.. lostMessages.OrderBy(p => p.Key).Take(20).Select(p => $"{p.Key} (partition {p.Value.Partition} offset {p.Value.Offset})")],
            PendingPartitions = pendingPartitions,
        };
    }

    /// <summary>A few lines for people.</summary>
    public string Summary() => string.Join(Environment.NewLine,
        $"verify ({Strategy}{(ExactlyOnce ? ", exactly-once" : string.Empty)}, completions {Completions}): produced {Produced}, processed {Processed}, dead-lettered {DeadLettered}, LOST {Lost}, pending {Pending}",
        ExactlyOnce ? $"{(DuplicatesJudged ? "DUPLICATES" : "duplicates")}: {Duplicates}{Worst} {DuplicatesVerdict}"
            : string.Create(CultureInfo.InvariantCulture, $"duplicates: {Duplicates} ({DuplicatesPerProcessed:0.0000} per processed message){Worst}"),
        $"faults injected: {(Faults.Count == 0 ? "none" : string.Join(", ", Faults.OrderBy(f => f.Key, StringComparer.Ordinal).Select(f => $"{f.Key} {f.Value}")))} (seed {Seed.ToString(CultureInfo.InvariantCulture)}: --seed {Seed.ToString(CultureInfo.InvariantCulture)} repeats the schedule)",
        string.Create(CultureInfo.InvariantCulture, $"duration: {Duration.TotalSeconds:0.0} s, {(Duration.TotalSeconds > 0 ? Produced / Duration.TotalSeconds : 0):0} messages/s"),
        Lost > 0 ? $"result: {Lost} messages LOST (committed past, never processed nor dead-lettered): {string.Join(", ", LostSamples)}"
            : AuditProblems.Count > 0 ? "result: INCOMPLETE AUDIT, nothing found lost but not every record could be read"
            : CommittedOffsetsUnknown && Pending > 0 ? $"result: FAILED, {Pending} messages neither processed nor dead-lettered (the embedded broker does not store transaction offsets, so they may be lost)"
            : DuplicatesJudged && Duplicates > 0 ? $"result: FAILED, nothing lost but {Duplicates} DUPLICATES in the read_committed output: not exactly-once"
            : Pending > 0 ? $"result: FAILED, nothing lost but the run ended with {Pending} messages neither processed nor dead-lettered (not committed either: they would be consumed again), "
                + $"on partitions {PendingPartition.Describe(PendingPartitions)}: a stall, or a run cut short"
            : NothingProduced ? "result: NOT A PROOF, nothing was produced, so nothing could be lost"
            : Shortfall ? $"result: FAILED, processed {Processed} messages, fewer than the {Produced - DeadLettered} produced and not dead-lettered"
            : NoFaultInjected ? "result: NOT A PROOF, nothing lost but no fault was injected although faults were asked (the run ended first): "
                + "run more --messages, a longer --handler-delay or a shorter --fault-interval, or pass --faults None for a fault-free run"
            : DuplicatesJudged ? "result: nothing lost, no duplicates: exactly-once held"
            : "result: nothing lost")
        + string.Concat(AuditProblems.Select(p => Environment.NewLine + "audit problem: " + p));

    private string Worst => WorstDuplicate > 1 ? $" (worst: one message recorded {WorstDuplicate} times)" : string.Empty;

    private string DuplicatesVerdict =>
        DuplicatesJudged ? "- judged: exactly-once against a real cluster must have 0"
        : "- NOT JUDGED: the embedded broker accepts transactions but does not enforce them (aborted records stay visible, offsets sent to transactions are not stored, no fencing), so duplicates are expected here; run with -b against a real cluster to judge them";

    /// <summary>One JSON line with the same figures, for scripts.</summary>
    public string Json() => JsonSerializer.Serialize(new
    {
        strategy = Strategy,
        produced = Produced,
        processed = Processed,
        deadLettered = DeadLettered,
        lost = Lost,
        lostSamples = LostSamples,
        auditProblems = AuditProblems,
        pending = Pending,
        pendingPartitions = PendingPartitions.Select(p => new { partition = p.Partition, pending = p.Pending, firstPendingOffset = p.FirstOffset, committed = p.Committed }),
        completions = Completions,
        duplicates = Duplicates,
        duplicatesPerProcessed = Math.Round(DuplicatesPerProcessed, 6),
        worstDuplicate = WorstDuplicate,
        exactlyOnce = ExactlyOnce,
        duplicatesJudged = DuplicatesJudged,
        committedOffsetsUnknown = CommittedOffsetsUnknown,
        faultsExpected = FaultsExpected,
        passed = Passed,
        faults = Faults,
        seed = Seed,
        durationSeconds = Math.Round(Duration.TotalSeconds, 1),
    });
}
