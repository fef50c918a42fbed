using System.Text.Json;
using System.Text.RegularExpressions;
using Conveyor.IntegrationTests.Support;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Cli;

/// <summary>
/// <c>conveyor verify</c> end to end, CI-sized: the engine loses nothing under faults, in each
/// ordering mode and with both assignors; the naive strategy is caught losing.
/// </summary>
[Collection(VerifyCollections.First)]
public class VerifyTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    [Theory]
    [InlineData("Key", "eager")]
    [InlineData("Partition", "cooperative")]
    public async Task The_engine_loses_nothing_under_injected_faults(string ordering, string assignor)
    {
        var (exitCode, report, process) = await Verify("--ordering", ordering, "--assignor", assignor);

        Assert.True(exitCode == 0, process.ToString());
        Assert.Equal(0, report.GetProperty("lost").GetInt32());
        Assert.Equal(0, report.GetProperty("pending").GetInt32());
        Assert.Equal(3000, report.GetProperty("processed").GetInt32() + report.GetProperty("deadLettered").GetInt32());
        Assert.Equal(3000 / 500, report.GetProperty("deadLettered").GetInt32());
        Assert.True(report.GetProperty("faults").EnumerateObject().Sum(f => f.Value.GetInt32()) > 0, "no fault was injected");
    }

    internal static async Task<(int ExitCode, JsonElement Report, CliProcess Process)> Verify(params string[] args)
    {
        var process = CliProcess.Start([
            "verify", "--messages", "3000", "--workers", "2", "--fault-interval", "00:00:02", "--handler-delay", "00:00:00.005",
            "--seed", "11", "--timeout", "00:03:00", .. args]);
        var exitCode = await process.WaitForExitAsync(RunTimeout);
        var json = process.Output.Lines.LastOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException($"no JSON line:{Environment.NewLine}{process}");
        using var document = JsonDocument.Parse(json);
        await process.DisposeAsync();
        return (exitCode, document.RootElement.Clone(), process);
    }
}

/// <summary>A run too short for the fault schedule still gets a fault: it must test something to pass.</summary>
[Collection(VerifyCollections.First)]
public class VerifyShortRunTests
{
    [Fact]
    public async Task A_short_run_with_faults_asked_passes_only_if_a_fault_was_injected()
    {
        await using var process = CliProcess.Start(["verify", "--messages", "100", "--workers", "1", "--seed", "5", "--timeout", "00:02:00"]);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(3));
        var json = process.Output.Lines.LastOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException($"no JSON line:{Environment.NewLine}{process}");
        using var document = JsonDocument.Parse(json);
        var report = document.RootElement;

        // The first fault goes in once the worker has settled a first id; 100 ids may all be done
        // before that (about 60 ms of work). Either way a run without a fault must not pass.
        var injected = report.GetProperty("faults").EnumerateObject().Sum(f => f.Value.GetInt32());
        Assert.True(report.GetProperty("faultsExpected").GetBoolean());
        Assert.True(injected > 0 ? exitCode == 0 : exitCode == 1, process.ToString());
        Assert.Equal(injected > 0, report.GetProperty("passed").GetBoolean());
        if (injected == 0)
        {
            Assert.Contains(process.Output.Lines, l => l.StartsWith("result: NOT A PROOF", StringComparison.Ordinal));
        }

        Assert.StartsWith("verify: 100 messages, 6 partitions, 1 worker, ", process.Output.Lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(process.Output.Lines, l => l.EndsWith("faults so far: ", StringComparison.Ordinal));
    }
}

/// <summary>Unordered handling under faults, beside the other runs.</summary>
[Collection(VerifyCollections.Second)]
public class VerifyUnorderedTests
{
    [Fact]
    public async Task The_engine_loses_nothing_under_injected_faults_when_unordered()
    {
        var (exitCode, report, process) = await VerifyTests.Verify("--ordering", "Unordered");

        Assert.True(exitCode == 0, process.ToString());
        Assert.Equal(0, report.GetProperty("lost").GetInt32());
        Assert.Equal(0, report.GetProperty("pending").GetInt32());
    }
}

/// <summary>The control: the verifier must be able to fail. A class of its own so it runs beside the others.</summary>
[Collection(VerifyCollections.Second)]
public class VerifyControlTests
{
    [Fact]
    public async Task The_naive_strategy_is_caught_losing_messages()
    {
        var (exitCode, report, process) = await VerifyTests.Verify("--strategy", "naive");

        Assert.True(exitCode == 1, process.ToString());
        Assert.True(report.GetProperty("lost").GetInt32() > 0);
    }

}

/// <summary>
/// <c>verify --exactly-once</c> on the embedded broker: a smoke run. The mock accepts transactions
/// without enforcing them (aborted records stay visible, offsets sent to transactions are not stored,
/// no fencing), so it can only show that nothing is lost and that duplicates are reported as not
/// judged; exactly-once itself is judged only against a real cluster (<c>-b</c>).
/// </summary>
[Collection(VerifyCollections.First)]
public class VerifyExactlyOnceTests
{
    [Fact]
    public async Task Exactly_once_on_the_embedded_broker_loses_nothing_and_does_not_judge_duplicates()
    {
        await using var process = CliProcess.Start([
            "verify", "--exactly-once", "--messages", "1000", "--workers", "2", "--fault-interval", "00:00:04", "--handler-delay", "00:00:00",
            "--seed", "11", "--timeout", "00:03:00"]); // ends as soon as every id is settled; the timeout is only a bound on a loaded machine
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(4));
        var json = process.Output.Lines.LastOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException($"no JSON line:{Environment.NewLine}{process}");
        using var document = JsonDocument.Parse(json);
        var report = document.RootElement;

        Assert.True(exitCode == 0, process.ToString());
        Assert.True(report.GetProperty("exactlyOnce").GetBoolean());
        Assert.False(report.GetProperty("duplicatesJudged").GetBoolean());
        Assert.Equal(0, report.GetProperty("lost").GetInt32());
        Assert.Equal(0, report.GetProperty("pending").GetInt32());
        Assert.Equal(1000, report.GetProperty("processed").GetInt32() + report.GetProperty("deadLettered").GetInt32());
        Assert.True(report.GetProperty("faults").EnumerateObject().Sum(f => f.Value.GetInt32()) > 0, "no fault was injected");
        Assert.Contains(process.Output.Lines, l => l.Contains("NOT JUDGED: the embedded broker accepts transactions but does not enforce them", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Exactly_once_against_brokers_older_than_Kafka_2_5_is_refused_before_anything_is_created()
    {
        using var cluster = EmbeddedKafkaCluster.Start();
        cluster.SetApiVersion(KafkaApiKey.TxnOffsetCommit, 0, 2); // what Kafka 2.4 announces
        await using var process = CliProcess.Start("verify", "--exactly-once", "-b", cluster.BootstrapServers, "--messages", "100", "--workers", "1", "--faults", "None");
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(1));

        Assert.True(exitCode == 1, process.ToString());
        var error = Assert.Single(process.Errors.Lines, l => l.StartsWith("error:", StringComparison.Ordinal));
        Assert.StartsWith("error: Exactly-once needs brokers that fence late offset commits (KIP-447, Apache Kafka 2.5 or later), but broker 1", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Traced_exactly_once_workers_print_their_assignments_and_each_transaction_with_its_offsets()
    {
        await using var process = CliProcess.Start(
            new Dictionary<string, string> { ["CONVEYOR_VERIFY_TRACE"] = "1" },
            "verify", "--exactly-once", "--messages", "200", "--workers", "1", "--faults", "None", "--handler-delay", "00:00:00", "--timeout", "00:02:00");
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(3));

        Assert.True(exitCode == 0, process.ToString());
        var lines = process.Output.Lines.Concat(process.Errors.Lines).ToList();
        Assert.Contains(lines, l => l.Contains(" assigned ", StringComparison.Ordinal));
        Assert.Contains(lines, l => Regex.IsMatch(l, @" transaction committed( \d+:\d+)+$"));
    }

    /// <summary>
    /// Key ordering finishes messages above unfinished ones; the transactions carry them in their
    /// offsets' metadata (persisted completions). Without faults nothing aborts, so even the mock,
    /// which does not enforce transactions, must show every id written once.
    /// </summary>
    [Fact]
    public async Task Exactly_once_under_key_ordering_writes_every_output_once_and_says_its_completions_are_persisted()
    {
        await using var process = CliProcess.Start(
            "verify", "--exactly-once", "--ordering", "Key", "--messages", "500", "--workers", "1", "--faults", "None", "--handler-delay", "00:00:00",
            "--seed", "5", "--timeout", "00:02:00");
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(3));
        var json = process.Output.Lines.LastOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException($"no JSON line:{Environment.NewLine}{process}");
        using var document = JsonDocument.Parse(json);
        var report = document.RootElement;

        Assert.True(exitCode == 0, process.ToString());
        Assert.True(report.GetProperty("exactlyOnce").GetBoolean());
        Assert.Equal("persisted", report.GetProperty("completions").GetString());
        Assert.Equal(0, report.GetProperty("lost").GetInt32());
        Assert.Equal(0, report.GetProperty("duplicates").GetInt32());
        Assert.Equal(500, report.GetProperty("processed").GetInt32() + report.GetProperty("deadLettered").GetInt32());
        Assert.Contains(process.Output.Lines, l => l.StartsWith("verify: 500 messages", StringComparison.Ordinal) && l.Contains("completions persisted", StringComparison.Ordinal) && l.Contains("ordering Key", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new[] { "--strategy", "naive" }, "--strategy engine")]
    [InlineData(new[] { "--ordering", "Key", "--completions", "watermark" }, "--exactly-once with --ordering Key needs --completions persisted")]
    [InlineData(new[] { "--ordering", "Unordered", "--completions", "watermark" }, "--exactly-once with --ordering Unordered needs --completions persisted")]
    public async Task Exactly_once_with_a_combination_it_cannot_honour_is_a_usage_error(string[] options, string expected)
    {
        await using var process = CliProcess.Start(["verify", "--exactly-once", .. options]);

        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 2, process.ToString());
        Assert.Contains(expected, process.ToString(), StringComparison.Ordinal);
    }
}

/// <summary>
/// <c>verify --faults None</c> with each group protocol: two workers join while the first one's
/// partitions are paused by back-pressure (3,000 messages per partition, 1,000 buffered at most, handled slowly enough that a paused partition stays paused for seconds),
/// so a pause that survives the rebalance would leave messages pending and fail the run.
/// </summary>
[Collection(VerifyCollections.Second)]
public class VerifyWithoutFaultsTests
{
    [Theory]
    [InlineData("eager")]
    [InlineData("cooperative")]
    [InlineData("consumer")]
    public async Task Every_message_is_processed_with_no_fault_and_each_group_protocol(string assignor)
    {
        await using var process = CliProcess.Start([
            "verify", "--faults", "None", "--assignor", assignor, "--messages", "6000", "--partitions", "2", "--workers", "2", "--concurrency", "4",
            "--handler-delay", "00:00:00.020", "--seed", "3", "--timeout", "00:02:00", "--stall-timeout", "00:00:10"]);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromMinutes(3));
        var json = process.Output.Lines.LastOrDefault(l => l.StartsWith('{')) ?? throw new InvalidOperationException($"no JSON line:{Environment.NewLine}{process}");
        using var document = JsonDocument.Parse(json);
        var report = document.RootElement;

        Assert.True(exitCode == 0, process.ToString());
        Assert.Equal(0, report.GetProperty("pending").GetInt32());
        Assert.Equal(6000, report.GetProperty("processed").GetInt32());
        // Whole lines (the count and the pending partitions with their committed offsets): a
        // substring check's failure shows only a few characters around the match.
        var stalls = process.Errors.Lines.Where(l => l.StartsWith("verify: NO PROGRESS", StringComparison.Ordinal)).ToList();
        Assert.True(stalls.Count == 0, $"{string.Join(Environment.NewLine, stalls)}{Environment.NewLine}{process}");
    }
}
