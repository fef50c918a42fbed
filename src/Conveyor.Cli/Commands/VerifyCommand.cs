using System.CommandLine;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Verify;
using Conveyor.Processing;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor verify</c>: runs the engine in worker processes under injected faults and counts
/// every lost and duplicated message. Exit 1 when anything was lost; with <c>--exactly-once</c>
/// against a real cluster also when anything was duplicated.
/// </summary>
internal static class VerifyCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var messages = new Option<int>("--messages", "-n") { Description = "Messages to produce and audit", DefaultValueFactory = _ => 20_000 }
            .MustBe(v => v >= 1, "1 or more");
        var partitions = new Option<int?>("--partitions")
        {
            Description = "Input partitions (default: enough to keep each under the embedded broker's ~5 MiB retention, at least 6)",
        }.MustBe(v => v is null or >= 1, "1 or more");
        var workers = new Option<int>("--workers") { Description = "Worker processes", DefaultValueFactory = _ => 2 }
            .MustBe(v => v is >= 1 and <= 32, "between 1 and 32");
        var strategy = new Option<string>("--strategy")
        {
            Description = "engine: Conveyor's processor; naive: auto-commit with concurrent fire-and-forget handling (the control that must lose)",
            DefaultValueFactory = _ => "engine",
        };
        strategy.AcceptOnlyFromAmong("engine", "naive");
        var assignor = new Option<string>("--assignor")
        {
            Description = "eager (classic protocol, range), cooperative (classic protocol, cooperative-sticky) or consumer (KIP-848: group.protocol=consumer, the broker assigns)",
            DefaultValueFactory = _ => "eager",
        };
        assignor.AcceptOnlyFromAmong("eager", "cooperative", "consumer");
        var ordering = new Option<OrderingMode?>("--ordering") { Description = "The engine's ordering mode (default: Key; Partition with --exactly-once, where Key and Unordered need --completions persisted)" };
        var exactlyOnce = new Option<bool>("--exactly-once")
        {
            Description = "Workers forward with DeliveryGuarantee.ExactlyOnce (transactions, ordering Partition unless --ordering says otherwise, one transactional id per worker slot); "
                + "with -b duplicates in the read_committed output fail the run too. The embedded broker does not enforce transactions: there duplicates are reported, not judged",
        };
        var completions = new Option<string>("--completions")
        {
            Description = "persisted: the engine records finished offsets above the committed one in the commit metadata and skips them after a rebalance; "
                + "watermark: it commits the offset alone (everything above the lowest unfinished message is handled again). Run both with one --seed to compare duplicates",
            DefaultValueFactory = _ => "persisted",
        };
        completions.AcceptOnlyFromAmong("persisted", "watermark");
        var retryTopics = new Option<bool>("--retry-topics")
        {
            Description = "Engine workers send failed messages through two retry topics (<input>.retry.1 after 1 s, .retry.2 after 2 s) before the dead-letter topic",
        };
        var adaptive = new Option<bool>("--adaptive")
        {
            Description = "Engine workers run with the adaptive concurrency limit, between 1 and --concurrency",
        };
        var faults = new Option<FaultKind>("--faults")
        {
            Description = "Faults to inject, comma-separated: HandlerErrors, SlowHandlers, Kill, Restart, JoinLeave, BrokerErrors, DropConnections, BrokerDown (a partition leader, never the coordinator), All (every one of those), None",
            DefaultValueFactory = _ => FaultKind.All,
        };
        var faultInterval = new Option<Duration>("--fault-interval") { Description = "Time between injected faults (a classic rebalance takes about 5 s on the embedded broker)", DefaultValueFactory = _ => Duration.FromSeconds(5) }
            .MustBe(v => v > TimeSpan.Zero, "positive");
        var failRate = new Option<double>("--fail-rate") { Description = "Chance that one handler attempt fails transiently", DefaultValueFactory = _ => 0.05 }
            .MustBe(v => v is >= 0 and < 1, "at least 0 and below 1");
        var permanentEvery = new Option<int>("--permanent-every") { Description = "Ids divisible by this always fail and must be dead-lettered (0: none)", DefaultValueFactory = _ => 500 }
            .MustBe(v => v >= 0, "0 or more");
        var slowRate = new Option<double>("--slow-rate") { Description = "Chance that one handler attempt takes 10-100 ms", DefaultValueFactory = _ => 0.05 }
            .MustBe(v => v is >= 0 and <= 1, "between 0 and 1");
        var seed = new Option<int?>("--seed") { Description = "Seed of the fault schedule and the workers' dice; without it a new one each run, printed in the summary and the JSON line to repeat the run" };
        var handlerDelay = new Option<Duration>("--handler-delay") { Description = "Time every handler attempt takes (a stand-in for real work)", DefaultValueFactory = _ => Duration.FromMilliseconds(5) }
            .MustBe(v => v >= TimeSpan.Zero, "0 or more");
        var concurrency = new Option<int>("--concurrency") { Description = "Handlers at once in each engine worker", DefaultValueFactory = _ => 8 }
            .MustBe(v => v >= 1, "1 or more");
        var timeout = new Option<Duration>("--timeout") { Description = "Stop injecting and audit after this long at most", DefaultValueFactory = _ => Duration.FromMinutes(5) };
        var stallTimeout = new Option<Duration>("--stall-timeout")
        {
            Description = "Say so when no message was processed or dead-lettered for this long (with the partitions whose messages wait); the run goes on until --timeout",
            DefaultValueFactory = _ => Duration.FromSeconds(30),
        }.MustBe(v => v >= TimeSpan.FromSeconds(1), "at least 1 s");

        var command = new Command("verify", "Process messages in worker processes under injected faults and audit: every message processed or dead-lettered, none lost")
        {
            messages, partitions, workers, strategy, assignor, ordering, faults, faultInterval, failRate, permanentEvery, slowRate, seed, timeout, stallTimeout, handlerDelay, concurrency, exactlyOnce, completions, retryTopics, adaptive,
        };
        command.Add(kafka.BootstrapServers);
        command.Add(kafka.Properties);
        command.SetAction(async (context, cancellationToken) =>
        {
            var count = context.Get(messages);
            var transactional = context.Get(exactlyOnce);
            if (transactional && context.Get(strategy) != "engine")
            {
                throw new CommandFailedException("--exactly-once needs --strategy engine: the naive strategy has no transactions.", ExitCodes.Usage);
            }

            if (context.Get(retryTopics) && (transactional || context.Get(strategy) != "engine"))
            {
                throw new CommandFailedException("--retry-topics needs --strategy engine without --exactly-once: retry topics are an at-least-once failure action of the engine.", ExitCodes.Usage);
            }

            if (context.Get(adaptive) && context.Get(strategy) != "engine")
            {
                throw new CommandFailedException("--adaptive needs --strategy engine: the naive strategy has no concurrency limit.", ExitCodes.Usage);
            }

            if (transactional && context.Get(ordering) is { } chosen && chosen != OrderingMode.Partition && context.Get(completions) != "persisted")
            {
                throw new CommandFailedException($"--exactly-once with --ordering {chosen} needs --completions persisted: a message can finish above an unfinished one, and only the transaction's offset metadata can record it. Drop --completions watermark, or use --ordering Partition.", ExitCodes.Usage);
            }

            var settings = new VerifySettings(
                count,
                context.Get(partitions) ?? Math.Max(6, count / 25_000),
                context.Get(workers),
                context.Get(strategy),
                context.Get(ordering) ?? (transactional ? OrderingMode.Partition : OrderingMode.Key),
                context.Get(assignor),
                context.Get(faults),
                context.Get(faultInterval),
                context.Get(failRate),
                context.Get(permanentEvery),
                context.Get(slowRate),
                context.Get(seed) ?? Random.Shared.Next(),
                context.Get(timeout),
                context.Get(handlerDelay),
                context.Get(concurrency),
                transactional)
            {
                StallTimeout = context.Get(stallTimeout),
                PersistCompletions = context.Get(completions) == "persisted",
                RetryTopics = context.Get(retryTopics),
                Adaptive = context.Get(adaptive),
            };
            var cluster = kafka.TryGetSettings(context);
            if (cluster is not null)
            {
                // An unreachable cluster is one line at once, as for every command, not the topic creation's timeout.
                ClusterProbe.Connect(cluster, ClusterProbe.DefaultTimeout, context.Errors);
            }

            var report = await new VerifyRun(settings, context.Output, context.Errors).RunAsync(cluster?.Properties, cancellationToken).ConfigureAwait(false);
            await context.Output.WriteLineAsync(report.Summary()).ConfigureAwait(false);
            await context.Output.WriteLineAsync(report.Json()).ConfigureAwait(false);
            return report.Passed ? ExitCodes.Success : ExitCodes.Failure;
        });
        return command;
    }
}
