using System.CommandLine;
using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Fleet;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Offsets;
using Conveyor.Fleet;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor control</c>: operator commands to a running group over its control topic (pause,
/// resume, concurrency, rewind, stop), answered by each live instance on the status topic; and
/// <c>control fleet</c>, the fleet as the status topic shows it.
/// </summary>
internal static class ControlCommands
{
    public static Command Create()
    {
        var command = new Command("control", "Operate a running group's instances over the fleet's control topic, and show the fleet (see docs/operations.md)")
        {
            Fleet(),
            Send(ControlKind.Pause, "pause", "Pause a partition, a topic or the whole group on every instance, until resumed (survives rebalances and restarts)"),
            Send(ControlKind.Resume, "resume", "Resume what was paused inside the scope"),
            Send(ControlKind.Concurrency, "concurrency", "Set the limit on running handlers of every instance"),
            Send(ControlKind.Rewind, "rewind", "Move partitions of a running group to an offset, the earliest, the latest, a date, or by a shift: each is moved once, by its owner"),
            Send(ControlKind.Stop, "stop", "Stop every instance of the group, or one (--instance): drain, commit, leave the group"),
        };
        return command;
    }

    private static Command Fleet()
    {
        var kafka = new KafkaOptions();
        var fleet = new FleetTopics();
        var group = new Option<string?>("--group", "-g") { Description = "Show only this group" };
        var command = new Command("fleet", "Every group, instance and partition with its owner, from the status topic") { kafka.BootstrapServers, kafka.Properties, fleet.Status, fleet.GoneAfter, group };
        command.SetAction(async (context, cancellationToken) =>
        {
            var settings = kafka.GetSettings(context);
            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
            ClusterProbe.RequireTopic(metadata, context.Get(fleet.Status), settings.BootstrapServers, "--status-topic");
            using var reader = OpenFleet(settings, context, fleet, cancellationToken);
            var now = DateTimeOffset.UtcNow;
            var shown = reader.View.Instances(now).Where(i => context.Get(group) is not { } only || i.Status.Group == only).ToList();
            if (shown.Count == 0)
            {
                throw new CommandFailedException(context.Get(group) is { } only
                    ? $"no instance of group {only} ever reported on status topic '{context.Get(fleet.Status)}': check --group, or run the group with Fleet.StatusTopic set."
                    : $"no instance reported on status topic '{context.Get(fleet.Status)}': run processors with Fleet.StatusTopic set to it.");
            }

            foreach (var line in FleetLines.Table(shown, now))
            {
                await context.Output.WriteLineAsync(line).ConfigureAwait(false);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Send(ControlKind kind, string name, string description)
    {
        var kafka = new KafkaOptions();
        var fleet = new FleetTopics();
        var group = new Option<string>("--group", "-g") { Description = "The consumer group to command", Required = true };
        var topic = new Option<string?>("--topic", "-t")
        {
            Description = kind == ControlKind.Rewind ? "The topic whose partitions move" : "Only this topic (default: the whole group)",
            Required = kind == ControlKind.Rewind,
        };
        var partitions = new Option<int[]>("--partition", "-p") { Description = "Only these partitions of --topic, repeatable (default: all)", Arity = ArgumentArity.ZeroOrMore };
        var by = new Option<string>("--by") { Description = "Who asks, recorded with the command", DefaultValueFactory = _ => Environment.UserName };
        var wait = new Option<Duration>("--wait") { Description = $"How long to wait for every instance's answer ({Durations.Forms})", DefaultValueFactory = _ => Duration.FromSeconds(30) }
            .MustBe(v => v > TimeSpan.Zero, "positive");
        var limit = new Option<int>("--limit") { Description = "Handlers that may run at once on each instance", Required = true }.MustBe(v => v is >= 1 and <= 100_000, "between 1 and 100000");
        var targets = new TargetOptions();
        var instance = new Option<string?>("--instance") { Description = "Stop only this instance" };
        var command = new Command(name, description) { kafka.BootstrapServers, kafka.Properties, fleet.Control, fleet.Status, fleet.GoneAfter, group, by, wait };
        if (kind is ControlKind.Pause or ControlKind.Resume or ControlKind.Rewind)
        {
            command.Add(topic);
            command.Add(partitions);
        }

        if (kind == ControlKind.Concurrency)
        {
            command.Add(limit);
        }

        if (kind == ControlKind.Rewind)
        {
            targets.AddTo(command, "control rewind");
        }

        if (kind == ControlKind.Stop)
        {
            command.Add(instance);
        }

        command.SetAction(async (context, cancellationToken) =>
        {
            var settings = kafka.GetSettings(context);
            var groupId = context.Get(group);
            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
            ClusterProbe.RequireTopic(metadata, context.Get(fleet.Control), settings.BootstrapServers, "--control-topic");
            ClusterProbe.RequireTopic(metadata, context.Get(fleet.Status), settings.BootstrapServers, "--status-topic");
            using var reader = OpenFleet(settings, context, fleet, cancellationToken);
            var live = reader.View.Live(groupId, DateTimeOffset.UtcNow);
            if (live.Count == 0)
            {
                throw new CommandFailedException(
                    $"no instance of group {groupId} reported on status topic '{context.Get(fleet.Status)}' in the last {context.Get(fleet.GoneAfter).Value.TotalSeconds:0} s: "
                    + "check --group, and that the group runs with Fleet.StatusTopic set. Nothing was sent.");
            }

            var command = new ControlCommand(Guid.NewGuid().ToString("N"), groupId, kind, context.Get(by), DateTimeOffset.UtcNow)
            {
                Topic = context.Parsed.GetResult(topic) is null ? null : context.Get(topic),
                Partitions = context.Parsed.GetResult(partitions) is null ? null : context.Get(partitions).Distinct().Order().ToList(),
                Limit = kind == ControlKind.Concurrency ? context.Get(limit) : null,
                Instance = kind == ControlKind.Stop ? context.Get(instance) : null,
            };
            command = Checked(command, live, metadata);
            if (kind == ControlKind.Rewind)
            {
                using var offsets = new GroupOffsets(settings, groupId, context.Errors);
                // A partition with no owner when the command is read is moved by its next owner, while the CLI waits.
                command = RewindTargets.Resolve(command, targets.Target(context), new ClusterPartitionLookup(offsets)) with { Until = command.At + context.Get(wait) };
            }

            await FleetReader.SendAsync(settings.Properties, context.Get(fleet.Control), command, cancellationToken).ConfigureAwait(false);

            var answering = command.Instance is { } only ? [only] : live.Select(i => i.Instance).ToList();
            var answers = AwaitAnswers(reader, command, answering, context.Get(wait), cancellationToken);
            foreach (var (from, all) in answers.OrderBy(a => a.Key, StringComparer.Ordinal))
            {
                foreach (var answer in all)
                {
                    await context.Output.WriteLineAsync($"{from}: {answer}").ConfigureAwait(false);
                }
            }

            return await Outcome(context, command, answering, answers).ConfigureAwait(false);
        });
        return command;
    }

    /// <summary>Refuses, before anything is sent, a topic the group does not consume, a partition the topic lacks, an instance not live; a rewind names every partition it moves.</summary>
    private static ControlCommand Checked(ControlCommand command, IReadOnlyList<InstanceStatus> live, Metadata metadata)
    {
        if (command.Topic is { } topic)
        {
            var consumed = live.SelectMany(i => i.Topics).Distinct().ToList();
            if (!consumed.Contains(topic))
            {
                throw new CommandFailedException($"group {command.Group} does not consume topic '{topic}' (it consumes {string.Join(", ", consumed)}): check --topic. Nothing was sent.");
            }

            var count = ClusterProbe.PartitionCount(metadata, topic) ?? 0;
            if (command.Partitions?.FirstOrDefault(p => p < 0 || p >= count) is { } missing && command.Partitions.Any(p => p < 0 || p >= count))
            {
                throw new CommandFailedException($"topic '{topic}' has no partition {missing} (it has {count}: 0 to {count - 1}): check --partition. Nothing was sent.");
            }

            if (command.Kind == ControlKind.Rewind)
            {
                command = command with { Partitions = command.Partitions is { Count: > 0 } given ? given : [.. Enumerable.Range(0, count)] };
            }
        }

        if (command.Instance is { } instance && !live.Any(i => i.Instance == instance))
        {
            throw new CommandFailedException($"instance {instance} of group {command.Group} is not live (live: {string.Join(", ", live.Select(i => i.Instance))}): check --instance. Nothing was sent.");
        }

        return command;
    }

    /// <summary>
    /// Every answer of each instance, in order, until each of <paramref name="answering"/> gave one
    /// and, for a rewind, every partition was moved (a partition without an owner is moved by its
    /// next one, a second answer) or some instance refused; or until <paramref name="wait"/>.
    /// </summary>
    private static Dictionary<string, List<string>> AwaitAnswers(FleetReader reader, ControlCommand command, List<string> answering, TimeSpan wait, CancellationToken cancellationToken)
    {
        var answers = new Dictionary<string, List<string>>();
        // A rewind's next owner may answer up to its Until, the end of the wait: a moment more to read that answer.
        var grace = command.Until is null ? TimeSpan.Zero : TimeSpan.FromSeconds(3);
        reader.ReadUntil(DateTime.UtcNow + wait + grace, view =>
        {
            foreach (var instance in view.Instances(DateTimeOffset.UtcNow).Where(i => i.Status.Group == command.Group))
            {
                if (instance.Status.Commands.Where(c => c.Id == command.Id).Select(c => c.Result).ToList() is { Count: > 0 } results)
                {
                    answers[instance.Status.Instance] = results;
                }
            }

            return answering.All(answers.ContainsKey) && (command.Kind != ControlKind.Rewind || Refused(answers) || Unmoved(command, answers).Count == 0);
        }, cancellationToken);
        return answers;
    }

    private static bool Refused(Dictionary<string, List<string>> answers) => answers.Values.SelectMany(a => a).Any(a => a.StartsWith("refused", StringComparison.Ordinal));

    /// <summary>The rewind's partitions no answer says were moved.</summary>
    private static List<string> Unmoved(ControlCommand rewind, Dictionary<string, List<string>> answers)
    {
        var moved = answers.Values.SelectMany(a => a).Where(a => a.StartsWith("moved ", StringComparison.Ordinal) && !a.StartsWith("moved none", StringComparison.Ordinal))
            .SelectMany(a => a["moved ".Length..].Split(", ").Select(m => m[..m.LastIndexOf(" to ", StringComparison.Ordinal)])).ToHashSet();
        return [.. rewind.Partitions!.Select(p => $"{rewind.Topic}[{p}]").Where(p => !moved.Contains(p))];
    }

    private static async Task<int> Outcome(CommandContext context, ControlCommand command, List<string> answering, Dictionary<string, List<string>> answers)
    {
        if (answering.Where(i => !answers.ContainsKey(i)).ToList() is { Count: > 0 } silent)
        {
            await context.Errors.WriteLineAsync(
                $"conveyor: no answer from {string.Join(", ", silent)} within --wait; the command stays on the control topic and applies when they read it (check with conveyor control fleet).").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        if (Refused(answers))
        {
            await context.Errors.WriteLineAsync("conveyor: some instances refused the command (see their answers above).").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        if (command.Kind == ControlKind.Rewind && Unmoved(command, answers) is { Count: > 0 } missed)
        {
            await context.Errors.WriteLineAsync(
                $"conveyor: {string.Join(", ", missed)} not moved: no instance owned them while the command waited (--wait); nothing changed there: run the rewind again for them.").ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        return ExitCodes.Success;
    }

    private static FleetReader OpenFleet(ClientSettings settings, CommandContext context, FleetTopics fleet, CancellationToken cancellationToken) =>
        FleetReader.Open(settings.Properties, context.Get(fleet.Status), context.Get(fleet.GoneAfter), cancellationToken)
        ?? throw new CommandFailedException($"status topic '{context.Get(fleet.Status)}' does not exist on {settings.BootstrapServers}: check --status-topic.");

    /// <summary>The options naming the fleet's topics, shared by the subcommands.</summary>
    private sealed class FleetTopics
    {
        public Option<string> Control { get; } = new("--control-topic") { Description = "The fleet's control topic (Fleet.ControlTopic)", Required = true };

        public Option<string> Status { get; } = new("--status-topic") { Description = "The fleet's status topic (Fleet.StatusTopic)", Required = true };

        public Option<Duration> GoneAfter { get; } = new Option<Duration>("--gone-after")
        {
            Description = $"An instance silent this long is gone ({Durations.Forms})",
            DefaultValueFactory = _ => Duration.FromSeconds(15),
        }.MustBe(v => v > TimeSpan.Zero, "positive");
    }
}
