using System.Diagnostics;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.Processing.Transactions;
using Conveyor.Testing;

namespace Conveyor.Cli.Verify;

/// <summary>
/// The verifier: produces ids, lets worker processes handle them under faults, then audits the
/// output and dead-letter topics against what was produced.
/// </summary>
internal sealed class VerifyRun
{
    private static readonly TimeSpan QuietPeriod = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WorkerStartInterval = TimeSpan.FromSeconds(2);

    private readonly VerifySettings _settings;
    private readonly TextWriter _output;
    private readonly TextWriter _errors;
    private readonly string _runId = Guid.NewGuid().ToString("N")[..8];
    private readonly Dictionary<int, long> _ends = [];
    private bool _embedded;

    public VerifyRun(VerifySettings settings, TextWriter output, TextWriter errors)
    {
        _settings = settings;
        _output = output;
        _errors = errors;
    }

    private string Input => $"verify-{_runId}-in";

    private string Output => $"verify-{_runId}-out";

    private string DeadLetters => $"verify-{_runId}-in.dlq";

    private string Group => $"verify-{_runId}";

    /// <summary>How the engine commits: what <c>--completions</c> says, exactly-once too (its transactions carry the finished offsets in their metadata); the naive strategy commits the offset alone.</summary>
    private string Completions => _settings.Strategy != "engine" ? "watermark" : _settings.PersistCompletions ? "persisted" : "watermark";

    /// <param name="cluster">A real cluster's properties, or null to host the embedded broker here.</param>
    /// <param name="cancellationToken">Stops the run early; what is there is still audited.</param>
    public async Task<AuditReport> RunAsync(KafkaClientProperties? cluster, CancellationToken cancellationToken)
    {
        // Three brokers, so that one leading some partitions can go down while broker 1 keeps coordinating the group.
        await using var embedded = cluster is null ? EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Brokers = 3 }) : null;
        embedded?.SetGroupCoordinator(Group, 1);
        // A killed KIP-848 member keeps its partitions until the broker's session timeout ends
        // (about 50 s seen here): as short as the classic runs' session.timeout.ms.
        embedded?.SetConsumerGroupSessionTimeout(TimeSpan.FromSeconds(6));
        _embedded = embedded is not null;
        var properties = cluster ?? new KafkaClientProperties(embedded!.BootstrapServers);
        var client = new ClientSettings(properties);
        List<(string, int)> topics = [(Input, _settings.Partitions), (Output, _settings.Partitions), (DeadLetters, _settings.Partitions)];
        if (_settings.RetryTopics)
        {
            topics.AddRange(VerifyRetryTopics.Topics(Input).Select(t => (t, _settings.Partitions)));
        }

        if (_settings.ExactlyOnce && embedded is null)
        {
            // Refused once, here, before anything is created, rather than by every worker in turn.
            var support = await Task.Run(() => FencingProbe.Check(properties, TimeSpan.FromSeconds(10)), cancellationToken).ConfigureAwait(false);
            if (support.Refusal is { } refusal)
            {
                throw new CommandFailedException(refusal);
            }

            if (support.Warning is { } warning)
            {
                _errors.WriteLine($"verify: {warning}");
            }
        }

        await TopicCreator.EnsureAsync(client, embedded, topics, _output).ConfigureAwait(false);
        _output.WriteLine($"verify: {_settings.Messages} messages, {_settings.Partitions} partitions, {_settings.Workers} worker{(_settings.Workers == 1 ? "" : "s")}, strategy {_settings.Strategy}{(_settings.ExactlyOnce ? " (exactly-once)" : "")}, completions {Completions}{(_settings.RetryTopics ? ", retry topics" : "")}, ordering {_settings.Ordering}, assignor {_settings.Assignor}, seed {_settings.Seed}, faults: {FaultKinds.Describe(_settings.Faults, embedded is not null)}");

        var clock = Stopwatch.StartNew();
        var produced = await ProduceAsync(client).ConfigureAwait(false);
        _output.WriteLine($"verify: produced {produced.Count} messages to {Input}");

        using var reader = new ResultReader(client, Output, DeadLetters, _settings.Partitions);
        reader.Start();
        using var workers = new WorkerPool((number, slot) => WorkerArguments(properties, number, slot), WorkerEnvironment.For(properties.Properties), _errors);
        // The first worker now, the others one at a time while faults are injected (see InjectUntilSettledAsync).
        workers.Add();
        var faults = new FaultInjector(_settings.Faults, workers, _settings.Workers, embedded, _settings.Seed);

        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(_settings.Timeout);
            await InjectUntilSettledAsync(faults, workers, reader, client, produced, deadline.Token).ConfigureAwait(false);
        }

        await workers.StopAllAsync().ConfigureAwait(false);
        reader.Stop();
        var (processed, deadLettered, readProblems) = AuditRead.Read(client, Output, DeadLetters, _settings.Partitions, TimeSpan.FromSeconds(60));
        List<string> problems = [.. readProblems, .. DeletedInput(client)];
        var missedLive = processed.Concat(deadLettered).Distinct().Count(id => !reader.IsSettled(id));
        if (missedLive > 0)
        {
            _errors.WriteLine($"verify: the audit read found {missedLive} ids that the live progress reader had not seen");
        }

        var report = AuditReport.Compare(produced, Committed(client), processed, deadLettered, faults.Counts, clock.Elapsed, _settings.Strategy);
        return report with
        {
            Seed = _settings.Seed,
            FaultsExpected = faults.CanInject,
            AuditProblems = problems,
            ExactlyOnce = _settings.ExactlyOnce,
            Completions = Completions,
            DuplicatesJudged = _settings.ExactlyOnce && embedded is null,
            CommittedOffsetsUnknown = _settings.ExactlyOnce && embedded is not null,
        };
    }

    /// <summary>
    /// Starts the other workers 2 s apart, as a deployment scales out, so that every run rebalances
    /// while the members already there are busy (their partitions often paused by back-pressure);
    /// injects faults from the first second on; reports progress, and says so when there is none.
    /// </summary>
    private async Task InjectUntilSettledAsync(
        FaultInjector faults, WorkerPool workers, ResultReader reader, ClientSettings client, Dictionary<long, (int Partition, long Offset)> produced, CancellationToken cancellationToken)
    {
        var count = produced.Count;
        // Elapsed time on the monotonic clock: a step of the wall clock must not fire every fault at
        // once, hold them back for an hour, or report a stall that was not one.
        var run = Stopwatch.StartNew();
        var nextFault = Deadline.In(TimeSpan.FromSeconds(1));
        var nextWorker = Deadline.In(WorkerStartInterval);
        var workersToStart = _settings.Workers - 1;
        var nextReport = Deadline.In(TimeSpan.Zero);
        var watch = new RunWatch(_settings.StallTimeout);
        while (!cancellationToken.IsCancellationRequested && reader.Settled < count && !AllCommittedAndQuiet(client, reader))
        {
            switch (watch.Check(reader.Settled, workers.AnyAssigned, run.Elapsed))
            {
                case { Unassigned: true } start:
                    _errors.WriteLine(string.Create(CultureInfo.InvariantCulture, $"verify: no worker has been assigned a partition {start.Waited.TotalSeconds:0} s after the first one started ({StartHint})"));
                    break;
                case { } stall:
                    var pending = PendingPartition.Of(produced.Where(p => !reader.IsSettled(p.Key)).Select(p => p.Value), Committed(client));
                    _errors.WriteLine(string.Create(CultureInfo.InvariantCulture, $"verify: NO PROGRESS for {stall.Waited.TotalSeconds:0} s at {reader.Settled} of {count}; pending on partitions {PendingPartition.Describe(pending)}"));
                    break;
            }

            if (workersToStart > 0 && nextWorker.Passed)
            {
                workers.Add();
                workersToStart--;
                nextWorker = Deadline.In(WorkerStartInterval);
            }

            await InjectFirstFaultOnceWorkingAsync(faults, reader).ConfigureAwait(false);
            if (nextFault.Passed)
            {
                await faults.InjectOneAsync().ConfigureAwait(false);
                nextFault = Deadline.In(_settings.FaultInterval);
            }

            if (nextReport.Passed)
            {
                _output.WriteLine($"verify: {reader.Settled} of {count} processed or dead-lettered, faults so far: {(faults.Injected == 0 ? "none" : string.Join(", ", faults.Counts.Select(f => $"{f.Key} {f.Value}")))}");
                nextReport = Deadline.In(TimeSpan.FromSeconds(5));
            }

            try
            {
                await Task.Delay(200, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _errors.WriteLine($"verify: stopped waiting after {_settings.Timeout} (or on request); auditing what is there");
            }
        }
    }

    /// <summary>Why a group may give no worker partitions: the hint on the line that says so.</summary>
    private string StartHint => _settings.Assignor == "consumer"
        ? "--assignor consumer needs a cluster with KIP-848, Kafka 4.0 or later; a loaded machine also starts workers slowly"
        : "a loaded machine starts workers slowly; check that the workers can reach the cluster";

    /// <summary>
    /// A run with faults must have at least one: the first is injected as soon as the workers have
    /// settled a first message, not only on the schedule, so that a short run that would end before
    /// the first scheduled fault is still tested. (A run that ends with none is not a proof.)
    /// </summary>
    private static async Task InjectFirstFaultOnceWorkingAsync(FaultInjector faults, ResultReader reader)
    {
        if (faults.Injected == 0 && faults.CanInject && reader.Settled > 0)
        {
            await faults.InjectOneAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The naive strategy can lose messages, so "every id seen" may never come: it is also done
    /// when the group has committed the whole input and nothing new appeared for a while.
    /// </summary>
    private bool AllCommittedAndQuiet(ClientSettings client, ResultReader reader)
    {
        if (reader.SinceLastRecord < QuietPeriod)
        {
            return false;
        }

        var committed = Committed(client);
        return _ends.All(end => committed.GetValueOrDefault(end.Key, -1) >= end.Value);
    }

    /// <summary>The workers' group's committed offset (next to read) per input partition; absent where none.</summary>
    private Dictionary<int, long> Committed(ClientSettings client)
    {
        using var consumer = GroupReader(client);
        var partitions = Enumerable.Range(0, _settings.Partitions).Select(p => new TopicPartition(Input, p)).ToList();
        try
        {
            return consumer.Committed(partitions, TimeSpan.FromSeconds(10))
                .Where(c => c.Offset.Value >= 0)
                .ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
        }
        catch (KafkaException e)
        {
            _errors.WriteLine($"verify: could not read the committed offsets ({e.Error.Reason})");
            return [];
        }
    }

    /// <summary>A consumer of the workers' group that never joins it: only reads its offsets and the input's watermarks.</summary>
    private IConsumer<Ignore, Ignore> GroupReader(ClientSettings client) =>
        new ConsumerBuilder<Ignore, Ignore>(new ConsumerConfig(client.Properties.ToDictionary()) { GroupId = Group })
            .WithoutLogLines().Build();

    /// <summary>Input partitions whose first records the broker deleted: those could be lost before any worker saw them.</summary>
    private List<string> DeletedInput(ClientSettings client)
    {
        using var consumer = GroupReader(client);
        return [.. Enumerable.Range(0, _settings.Partitions)
            .Select(p => (Partition: p, consumer.QueryWatermarkOffsets(new TopicPartition(Input, p), TimeSpan.FromSeconds(10)).Low))
            .Where(p => p.Low > 0)
            .Select(p => $"{Input}[{p.Partition}] starts at offset {p.Low}: the broker deleted input records (use more partitions or fewer messages)")];
    }

    private async Task<Dictionary<long, (int Partition, long Offset)>> ProduceAsync(ClientSettings client)
    {
        var config = client.Producer();
        config.LingerMs = 20;
        using var producer = new ProducerBuilder<string, string>(config).WithoutLogLines().Build();
        var produced = new Dictionary<long, (int Partition, long Offset)>(_settings.Messages);
        var failures = 0;
        for (long id = 0; id < _settings.Messages; id++)
        {
            var text = id.ToString(CultureInfo.InvariantCulture);
            var captured = id;
            while (true)
            {
                try
                {
                    producer.Produce(Input, new Message<string, string> { Key = text, Value = text }, report =>
                    {
                        if (report.Error.IsError)
                        {
                            Interlocked.Increment(ref failures);
                        }
                        else
                        {
                            lock (produced)
                            {
                                produced[captured] = (report.Partition.Value, report.Offset.Value);
                                _ends[report.Partition.Value] = Math.Max(_ends.GetValueOrDefault(report.Partition.Value), report.Offset.Value + 1);
                            }
                        }
                    });
                    break;
                }
                catch (ProduceException<string, string> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
        }

        producer.Flush(TimeSpan.FromMinutes(2));
        await Task.CompletedTask.ConfigureAwait(false);
        if (failures > 0)
        {
            _errors.WriteLine($"verify: {failures} input messages could not be produced; only acknowledged ones are audited");
        }

        return produced;
    }

    /// <param name="cluster">The cluster the workers connect to.</param>
    /// <param name="number">The worker's number, never reused: seeds its dice.</param>
    /// <param name="slot">The worker's slot, reused by its replacement: names its transactional id, so a replacement fences its predecessor.</param>
    private List<string> WorkerArguments(KafkaClientProperties cluster, int number, int slot)
    {
        var arguments = new List<string>
        {
            "-b", cluster.BootstrapServers,
            "--input", Input, "--output", Output, "--group", Group,
            "--strategy", _settings.Strategy,
            "--ordering", _settings.Ordering.ToString(),
            "--fail-rate", (_settings.Faults.HasFlag(FaultKind.HandlerErrors) ? _settings.FailRate : 0).ToString(CultureInfo.InvariantCulture),
            "--permanent-every", (_settings.Faults.HasFlag(FaultKind.HandlerErrors) ? _settings.PermanentEvery : 0).ToString(CultureInfo.InvariantCulture),
            "--slow-rate", (_settings.Faults.HasFlag(FaultKind.SlowHandlers) ? _settings.SlowRate : 0).ToString(CultureInfo.InvariantCulture),
            "--seed", (_settings.Seed + number).ToString(CultureInfo.InvariantCulture),
            "--handler-delay", _settings.HandlerDelay.ToString("c", CultureInfo.InvariantCulture),
            "--concurrency", _settings.Concurrency.ToString(CultureInfo.InvariantCulture),
            "--completions", _settings.PersistCompletions ? "persisted" : "watermark",
        };
        if (_settings.RetryTopics)
        {
            arguments.Add("--retry-topics");
        }

        if (_settings.Adaptive)
        {
            arguments.Add("--adaptive");
        }

        arguments.AddRange(_settings.Assignor switch
        {
            "consumer" => ["-X", "group.protocol=consumer"], // KIP-848: the broker assigns; session timeout and assignor are the broker's
            "cooperative" => ["-X", "session.timeout.ms=6000", "-X", "partition.assignment.strategy=cooperative-sticky"],
            _ => ["-X", "session.timeout.ms=6000", "-X", "partition.assignment.strategy=range"],
        });
        if (_embedded)
        {
            // After a broker was taken down and up, the embedded broker left some client
            // connections open but answered nothing on them (traced: a fetch, an offset look-up and
            // output writes unanswered until the partition moved or the client timed out), which
            // stalled partitions for 30-60 s, the client's request timeouts. A real broker closes
            // the connections of a broker that goes down; here the client gives up sooner.
            arguments.AddRange(["-X", "socket.timeout.ms=10000", "-X", "request.timeout.ms=10000"]);
        }

        if (_settings.ExactlyOnce)
        {
            arguments.AddRange(["--transactional-id", $"{Group}-{slot.ToString(CultureInfo.InvariantCulture)}"]);
        }

        return arguments;
    }
}
