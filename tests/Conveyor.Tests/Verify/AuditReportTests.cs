using System.Text.Json;
using Conveyor.Cli.Verify;

namespace Conveyor.Tests.Verify;

public class AuditReportTests
{
    private static readonly Dictionary<string, int> NoFaults = [];

    [Fact]
    public void A_gap_in_the_output_below_the_committed_offset_is_reported_as_lost()
    {
        var report = Compare(produced: 5, committed: 5, output: [0, 1, 3, 4]);

        Assert.Equal(1, report.Lost);
        Assert.Equal(0, report.Pending);
        Assert.Equal(4, report.Processed);
        Assert.Contains("LOST 1", report.Summary(), StringComparison.Ordinal);
        Assert.Equal(["2 (partition 0 offset 2)"], report.LostSamples);
    }

    [Fact]
    public void A_run_that_produced_nothing_is_not_a_pass()
    {
        var report = Compare(produced: 0, committed: 0, output: []);

        Assert.False(report.Passed);
        Assert.Contains("result: NOT A PROOF, nothing was produced", report.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void Figures_with_fewer_processed_than_produced_minus_dead_lettered_never_pass_even_with_nothing_counted_lost_or_pending()
    {
        var report = new AuditReport(Produced: 10, Processed: 7, DeadLettered: 2, Lost: 0, Pending: 0, Duplicates: 0, WorstDuplicate: 0, NoFaults, TimeSpan.FromSeconds(1), "engine");

        Assert.False(report.Passed);
        Assert.Contains("result: FAILED, processed 7 messages, fewer than the 8 produced and not dead-lettered", report.Summary(), StringComparison.Ordinal);
        Assert.Contains("\"passed\":false", report.Json(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unprocessed_message_at_or_above_the_committed_offset_is_pending_not_lost()
    {
        var report = Compare(produced: 5, committed: 3, output: [0, 1, 2]);

        Assert.Equal(0, report.Lost);
        Assert.Equal(2, report.Pending);
    }

    [Fact]
    public void A_run_that_ends_with_pending_messages_fails_and_names_their_partitions_with_the_committed_offsets()
    {
        var produced = new Dictionary<long, (int Partition, long Offset)>
        {
            [0] = (0, 0),
            [1] = (0, 1),
            [2] = (1, 0),
            [3] = (1, 1),
            [4] = (1, 2),
            [5] = (2, 0),
        };
        var report = AuditReport.Compare(produced, new Dictionary<int, long> { [0] = 2, [1] = 1 }, [0, 1, 2, 5], [], NoFaults, TimeSpan.FromSeconds(1), "engine");

        Assert.Equal(0, report.Lost);
        Assert.Equal(2, report.Pending);
        Assert.False(report.Passed);
        Assert.Equal([new PendingPartition(1, 2, 1, 1)], report.PendingPartitions);
        Assert.Contains("result: FAILED, nothing lost but the run ended with 2 messages neither processed nor dead-lettered", report.Summary(), StringComparison.Ordinal);
        Assert.Contains("on partitions 1 (2 pending from offset 1, committed 1)", report.Summary(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.Json());
        Assert.False(json.RootElement.GetProperty("passed").GetBoolean());
        var partition = Assert.Single(json.RootElement.GetProperty("pendingPartitions").EnumerateArray());
        Assert.Equal(1, partition.GetProperty("partition").GetInt32());
        Assert.Equal(1, partition.GetProperty("committed").GetInt64());
    }

    [Fact]
    public void A_partition_without_a_commit_is_described_as_such()
    {
        Assert.Equal(
            "0 (3 pending from offset 0, committed none)",
            PendingPartition.Describe(PendingPartition.Of([(0, 0), (0, 1), (0, 2)], new Dictionary<int, long>())));
    }

    [Fact]
    public void A_dead_lettered_message_is_not_lost()
    {
        var report = Compare(produced: 3, committed: 3, output: [0, 2], deadLetters: [1]);

        Assert.Equal(0, report.Lost);
        Assert.Equal(1, report.DeadLettered);
    }

    [Fact]
    public void Duplicates_are_counted_with_the_worst_case()
    {
        var report = Compare(produced: 3, committed: 3, output: [0, 0, 0, 1, 1, 2]);

        Assert.Equal(0, report.Lost);
        Assert.Equal(3, report.Duplicates);
        Assert.Equal(3, report.WorstDuplicate);
    }

    [Fact]
    public void Records_of_ids_never_produced_do_not_hide_a_loss()
    {
        var report = Compare(produced: 2, committed: 2, output: [0, 99]);

        Assert.Equal(1, report.Lost);
        Assert.Equal(1, report.Processed);
    }

    [Fact]
    public void An_audit_that_could_not_read_everything_does_not_pass_even_with_nothing_lost()
    {
        var report = Compare(produced: 2, committed: 2, output: [0, 1]) with { AuditProblems = ["out[0] starts at offset 7: the broker deleted earlier records before they were audited"] };

        Assert.Equal(0, report.Lost);
        Assert.False(report.Passed);
        Assert.Contains("INCOMPLETE AUDIT", report.Summary(), StringComparison.Ordinal);
        Assert.Contains("out[0] starts at offset 7", report.Summary(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.Json());
        Assert.Equal(1, json.RootElement.GetProperty("auditProblems").GetArrayLength());
    }

    [Fact]
    public void The_json_line_carries_the_figures()
    {
        var report = AuditReport.Compare(
            Produced(2), new Dictionary<int, long> { [0] = 2 }, [0], [], new Dictionary<string, int> { ["kill"] = 2 }, TimeSpan.FromSeconds(2), "naive");

        using var json = JsonDocument.Parse(report.Json());

        Assert.Equal(1, json.RootElement.GetProperty("lost").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("faults").GetProperty("kill").GetInt32());
        Assert.Equal("naive", json.RootElement.GetProperty("strategy").GetString());
    }

    [Fact]
    public void Exactly_once_against_a_real_cluster_fails_on_duplicates_even_with_nothing_lost()
    {
        var report = Compare(produced: 3, committed: 3, output: [0, 1, 1, 2]) with { ExactlyOnce = true, DuplicatesJudged = true };

        Assert.Equal(0, report.Lost);
        Assert.Equal(1, report.Duplicates);
        Assert.False(report.Passed);
        Assert.Contains("1 DUPLICATES", report.Summary(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.Json());
        Assert.True(json.RootElement.GetProperty("exactlyOnce").GetBoolean());
        Assert.True(json.RootElement.GetProperty("duplicatesJudged").GetBoolean());
        Assert.False(json.RootElement.GetProperty("passed").GetBoolean());
    }

    [Fact]
    public void Exactly_once_against_a_real_cluster_passes_with_neither_loss_nor_duplicates()
    {
        var report = Compare(produced: 3, committed: 3, output: [0, 1, 2]) with { ExactlyOnce = true, DuplicatesJudged = true };

        Assert.True(report.Passed);
        Assert.Contains("exactly-once held", report.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void Exactly_once_against_a_real_cluster_still_fails_on_a_loss()
    {
        var report = Compare(produced: 3, committed: 3, output: [0, 2]) with { ExactlyOnce = true, DuplicatesJudged = true };

        Assert.Equal(1, report.Lost);
        Assert.False(report.Passed);
    }

    [Fact]
    public void Exactly_once_on_the_embedded_broker_reports_duplicates_without_judging_them()
    {
        var report = Compare(produced: 3, committed: 3, output: [0, 0, 0, 1, 2]) with { ExactlyOnce = true, DuplicatesJudged = false };

        Assert.Equal(2, report.Duplicates);
        Assert.True(report.Passed);
        Assert.Contains("NOT JUDGED", report.Summary(), StringComparison.Ordinal);
        Assert.Contains("does not enforce them", report.Summary(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.Json());
        Assert.False(json.RootElement.GetProperty("duplicatesJudged").GetBoolean());
        Assert.Equal(2, json.RootElement.GetProperty("duplicates").GetInt32());
    }

    [Fact]
    public void Without_exactly_once_duplicates_do_not_fail_the_run()
    {
        var report = Compare(produced: 2, committed: 2, output: [0, 0, 1]);

        Assert.True(report.Passed);
        Assert.DoesNotContain("JUDGED", report.Summary(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.Json());
        Assert.False(json.RootElement.GetProperty("exactlyOnce").GetBoolean());
    }

    [Fact]
    public void When_the_committed_offsets_are_unknown_a_pending_message_fails_the_run()
    {
        // Exactly-once on the embedded broker: offsets sent to transactions are not stored, so none are committed.
        var compared = AuditReport.Compare(Produced(3), new Dictionary<int, long>(), [0, 1], [], NoFaults, TimeSpan.FromSeconds(1), "engine");
        var report = compared with { ExactlyOnce = true, CommittedOffsetsUnknown = true };

        Assert.Equal(0, report.Lost);
        Assert.Equal(1, report.Pending);
        Assert.False(report.Passed);
        Assert.Contains("may be lost", report.Summary(), StringComparison.Ordinal);
    }

    /// <summary>Ids 0..n-1 produced to partition 0 at offsets equal to their ids.</summary>
    [Fact]
    public void A_run_that_asked_for_faults_and_injected_none_is_not_a_proof()
    {
        var report = Compare(produced: 3, committed: 3, output: [0, 1, 2]) with { FaultsExpected = true };

        Assert.False(report.Passed);
        Assert.Contains("result: NOT A PROOF, nothing lost but no fault was injected although faults were asked", report.Summary(), StringComparison.Ordinal);
        Assert.Contains("faults injected: none", report.Summary(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_fault_free_run_by_request_passes_and_a_run_with_a_fault_passes()
    {
        var faultFree = Compare(produced: 3, committed: 3, output: [0, 1, 2]);
        var faulted = AuditReport.Compare(Produced(3), new Dictionary<int, long> { [0] = 3 }, [0, 1, 2], [], new Dictionary<string, int> { ["worker killed (SIGKILL)"] = 1 }, TimeSpan.FromSeconds(1), "engine")
            with
        { FaultsExpected = true };

        Assert.True(faultFree.Passed);
        Assert.True(faulted.Passed);
        Assert.Equal("result: nothing lost", faulted.Summary().Split(Environment.NewLine)[^1]);
    }

    [Fact]
    public void No_duplicate_is_said_plainly()
    {
        var summary = Compare(produced: 2, committed: 2, output: [0, 1]).Summary();

        Assert.Contains($"duplicates: 0 (0.0000 per processed message){Environment.NewLine}", summary, StringComparison.Ordinal);
        Assert.DoesNotContain("recorded 1 times", summary, StringComparison.Ordinal);
    }

    [Fact]
    public void Duplicates_are_reported_per_processed_message_with_the_completions_mode()
    {
        var report = Compare(produced: 4, committed: 4, output: [0, 0, 0, 1, 2, 3]) with { Completions = "persisted" };

        Assert.Equal(0.5, report.DuplicatesPerProcessed);
        Assert.Contains("verify (engine, completions persisted)", report.Summary(), StringComparison.Ordinal);
        Assert.Contains("duplicates: 2 (0.5000 per processed message) (worst: one message recorded 3 times)", report.Summary(), StringComparison.Ordinal);
        using var json = JsonDocument.Parse(report.Json());
        Assert.Equal(0.5, json.RootElement.GetProperty("duplicatesPerProcessed").GetDouble());
        Assert.Equal("persisted", json.RootElement.GetProperty("completions").GetString());
    }

    private static AuditReport Compare(int produced, long committed, long[] output, long[]? deadLetters = null) =>
        AuditReport.Compare(Produced(produced), new Dictionary<int, long> { [0] = committed }, output, deadLetters ?? [], NoFaults, TimeSpan.FromSeconds(1), "engine");

    private static Dictionary<long, (int Partition, long Offset)> Produced(int count) =>
        Enumerable.Range(0, count).ToDictionary(i => (long)i, i => (0, (long)i));
}
