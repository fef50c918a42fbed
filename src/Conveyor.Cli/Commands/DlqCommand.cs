using System.CommandLine;
using System.Globalization;
using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.DeadLetters;
using Conveyor.Cli.Kafka;
using Conveyor.DeadLetters;
using Conveyor.Lag;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor dlq list|show|replay</c>: inspect a dead-letter topic and send its messages back.</summary>
internal static class DlqCommand
{
    public static Command Create() => new("dlq", "Inspect dead letters (list, show) and send them back to their topic (replay)")
    {
        List(),
        Show(),
        Replay(),
    };

    private static Command List()
    {
        var options = new DlqOptions(withFilters: true);
        var json = new Option<bool>("--json") { Description = "Print one JSON object per line instead of a table (for scripts)" };
        var command = new Command("list", "One line per dead letter: where it is, where it came from, its key and why it failed") { json };
        options.AddTo(command);
        command.SetAction(async (context, cancellationToken) =>
        {
            var (settings, topic, partitions, _) = await options.ConnectAsync(context).ConfigureAwait(false);
            var filter = options.Filter(context);
            var limit = context.Get(options.Limit!);
            using var reader = new DeadLetterReader(settings.Consumer(DlqOptions.ReaderGroup, autoCommit: false), settings.LogTo(context.Errors));
            var ranges = Enumerable.Range(0, partitions).ToDictionary(p => p, p =>
            {
                var marks = reader.Watermarks(topic, p);
                return (marks.Low.Value, marks.High.Value);
            });
            var all = 0;
            var shown = new List<DeadLetter>();
            foreach (var record in reader.Read(topic, ranges, cancellationToken))
            {
                var letter = DeadLetter.From(record);
                all++;
                if (filter.Matches(letter))
                {
                    shown.Add(letter);
                }
            }

            // --limit takes the first ones in partition and offset order, as the table shows them.
            shown = [.. shown.OrderBy(l => l.Partition).ThenBy(l => l.Offset).Take(limit ?? int.MaxValue)];
            if (context.Get(json))
            {
                foreach (var letter in shown)
                {
                    context.Output.WriteLine(DeadLetterLines.Json(letter));
                }

                return ExitCodes.Success;
            }

            if (shown.Count > 0)
            {
                foreach (var line in DeadLetterLines.Table(shown, OutputWidth()))
                {
                    context.Output.WriteLine(line);
                }
            }

            context.Output.WriteLine(all == 0
                ? $"{topic} holds no dead letters"
                : string.Create(CultureInfo.InvariantCulture, $"{shown.Count} of {all} dead letters in {topic}{(filter.IsEmpty && limit is null ? "" : " (filtered)")}"));
            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Show()
    {
        var options = new DlqOptions(withFilters: false);
        var position = new Argument<string>("PARTITION:OFFSET") { Description = "Where the dead letter is in the dead-letter topic, e.g. 3:0 (as dlq list prints it)" };
        var command = new Command("show", "The whole dead letter: every header, the value (JSON indented, hex otherwise) and the stack trace") { position };
        options.AddTo(command);
        command.SetAction(async (context, cancellationToken) =>
        {
            var (partition, offset) = ParsePosition(context.Parsed.GetValue(position) ?? "");
            var (settings, topic, partitions, _) = await options.ConnectAsync(context).ConfigureAwait(false);
            if (partition >= partitions)
            {
                throw new CommandFailedException(
                    string.Create(CultureInfo.InvariantCulture, $"{topic} has no partition {partition}: it has partitions 0 to {partitions - 1}."));
            }

            using var reader = new DeadLetterReader(settings.Consumer(DlqOptions.ReaderGroup, autoCommit: false), settings.LogTo(context.Errors));
            var marks = reader.Watermarks(topic, partition);
            if (offset < marks.Low.Value || offset >= marks.High.Value)
            {
                var holds = marks.High.Value > marks.Low.Value
                    ? string.Create(CultureInfo.InvariantCulture, $"offsets {marks.Low.Value} to {marks.High.Value - 1}")
                    : "no records";
                throw new CommandFailedException(
                    string.Create(CultureInfo.InvariantCulture, $"no dead letter at {topic} partition {partition} offset {offset}: that partition holds {holds}. See conveyor dlq list."));
            }

            var record = reader.Read(topic, new Dictionary<int, (long, long)> { [partition] = (offset, offset + 1) }, cancellationToken).Single();
            foreach (var line in DeadLetterLines.Show(DeadLetter.From(record)))
            {
                context.Output.WriteLine(line);
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static Command Replay()
    {
        var options = new DlqOptions(withFilters: true);
        var all = new Option<bool>("--all") { Description = "Replay every dead letter not replayed yet (without it, give at least one filter)" };
        var to = new Option<string?>("--to") { Description = "Send to this topic instead of each dead letter's source topic" };
        var positionGroup = new Option<string?>("--position-group")
        {
            Description = "Consumer group that remembers what was replayed (default: conveyor-dlq-replay-<dead-letter topic>, with --group: conveyor-dlq-replay-<dead-letter topic>.<group>)",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "List what would be sent; send and commit nothing" };
        var command = new Command("replay", "Send dead letters back to their source topic (or --to), each once: the position is kept in a consumer group")
        {
            all, to, positionGroup, dryRun,
        };
        options.AddTo(command);
        command.SetAction(async (context, cancellationToken) =>
        {
            var filter = options.Filter(context);
            // --group names whose dead letters these are, so it goes with --all as well as with filters.
            var narrowed = !(filter with { Group = null }).IsEmpty;
            if (context.Get(all) ? narrowed : filter.IsEmpty)
            {
                throw new CommandFailedException(
                    filter.IsEmpty
                        ? "say which dead letters to replay: --all, or filters (--group, --source-topic, --exception, --key, --since); --dry-run shows what would be sent."
                        : "--all replays everything: give it without filters, or give filters without --all.",
                    ExitCodes.Usage);
            }

            var (settings, topic, partitions, metadata) = await options.ConnectAsync(context).ConfigureAwait(false);
            var target = context.Get(to);
            // A group's replays keep their own position: they pass the other groups' dead letters, which are not theirs to send.
            var groupId = context.Get(positionGroup) ?? (filter.Group is { } failing ? $"conveyor-dlq-replay-{topic}.{failing}" : $"conveyor-dlq-replay-{topic}");
            if (target == topic)
            {
                throw new CommandFailedException($"--to {target} is the dead-letter topic itself: choose the topic to send the dead letters to.", ExitCodes.Usage);
            }

            if (target is not null && ClusterProbe.PartitionCount(metadata, target) is null)
            {
                throw new CommandFailedException(MissingTarget(target, settings.BootstrapServers));
            }

            using var reader = new DeadLetterReader(settings.Consumer(groupId, autoCommit: false), settings.LogTo(context.Errors));
            var committed = reader.Committed(topic, partitions);
            var ranges = Enumerable.Range(0, partitions).ToDictionary(p => p, p =>
            {
                var marks = reader.Watermarks(topic, p);
                return (Math.Max(committed[p] ?? marks.Low.Value, marks.Low.Value), marks.High.Value);
            });
            var unreplayed = reader.Read(topic, ranges, cancellationToken).Select(DeadLetter.From).ToList();
            var plan = ReplayPlan.Make(filter.Group is null ? unreplayed : [.. unreplayed.Where(l => l.ConsumerGroup == filter.Group)], filter, context.Get(options.Limit!));
            if (filter.Group is null && ReplayPlan.Groups(plan.Selected) is { Count: > 1 } groups)
            {
                throw new CommandFailedException(
                    $"the selected dead letters were failed by {groups.Count} consumer groups ({string.Join(", ", groups)}): a replay goes back to the group that failed it, "
                    + "so replay one group at a time with --group; nothing was sent.",
                    ExitCodes.Usage);
            }

            // Every target must exist before anything is sent.
            foreach (var missing in plan.Selected.Select(l => DeadLetterReplayer.TargetOf(l, target)).Distinct()
                .Where(t => ClusterProbe.PartitionCount(metadata, t) is null))
            {
                throw new CommandFailedException(target is not null
                    ? MissingTarget(missing, settings.BootstrapServers)
                    : $"topic '{missing}', the source topic of dead letters in {topic}, does not exist on {settings.BootstrapServers}; nothing was sent. "
                        + "Create it first, or send them elsewhere with --to.");
            }

            foreach (var (partition, offset, waiting) in plan.Blocked)
            {
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"partition {partition}: stopping at offset {offset}, which the filters skip; {waiting} later dead letter(s) there that they select wait until it is replayed (the position never passes a dead letter that was not sent)"));
            }

            if (plan.Selected.Count == 0)
            {
                context.Output.WriteLine(unreplayed.Count == 0
                    ? $"nothing to replay: every dead letter in {topic} was replayed before (group {groupId})"
                    : string.Create(CultureInfo.InvariantCulture, $"nothing to replay: none of the {unreplayed.Count} dead letters not yet replayed in {topic} is selected"));
                return ExitCodes.Success;
            }

            if (context.Get(dryRun))
            {
                foreach (var letter in plan.Selected)
                {
                    context.Output.WriteLine($"would replay {topic} {DeadLetterLines.Position(letter)} ({DeadLetterLines.Source(letter)}, key {letter.Key ?? "(none)"}) to {DeadLetterReplayer.TargetOf(letter, target)}");
                }

                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dry run: would replay {plan.Selected.Count} dead letter(s); nothing sent"));
                return ExitCodes.Success;
            }

            var progress = ReplayProgress.Create(context.Output, context.Parsed.InvocationConfiguration.Output, plan.Selected.Count);
            var replayer = new DeadLetterReplayer(settings.Producer(), settings.LogTo(context.Errors));
            var (replayed, failed) = await progress.RunAsync(
                report => replayer.ReplayAsync(plan.Selected, target, reader.Consumer, report, cancellationToken)).ConfigureAwait(false);
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"replayed {replayed} of {plan.Selected.Count} dead letter(s) from {topic}; position kept in group {groupId}"));
            if (failed > 0)
            {
                context.Errors.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"error: {failed} dead letter(s) were not replayed (a send failed, see above); they stay unreplayed and a later replay sends them"));
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    private static string MissingTarget(string topic, string servers) =>
        $"topic '{topic}' (given with --to) does not exist on {servers}; nothing was sent. Create it first, or check --to.";

    private static (int Partition, long Offset) ParsePosition(string text)
    {
        var parts = text.Split(':');
        if (parts.Length == 2
            && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var offset))
        {
            return (partition, offset);
        }

        throw new CommandFailedException($"'{text}' is not a dead letter's position: expected PARTITION:OFFSET, e.g. 3:0 (as dlq list prints it).", ExitCodes.Usage);
    }

    private static int OutputWidth()
    {
        if (Console.IsOutputRedirected)
        {
            return 200;
        }

        try
        {
            return Math.Max(80, Console.WindowWidth - 1);
        }
        catch (IOException)
        {
            return 200;
        }
    }

    /// <summary>The options every dlq command takes; each command gets its own instances.</summary>
    private sealed class DlqOptions
    {
        public const string ReaderGroup = "conveyor-dlq-reader";

        private readonly KafkaOptions _kafka = new();

        public DlqOptions(bool withFilters)
        {
            if (withFilters)
            {
                SourceTopic = new("--source-topic") { Description = "Only dead letters from this topic; also names the default --topic, <source>.dlq" };
                Exception = new("--exception") { Description = "Only dead letters whose exception type contains this text (ignoring case), e.g. Timeout" };
                Key = new("--key") { Description = "Only dead letters with this key" };
                Since = new("--since") { Description = "Only dead letters that failed since this time (2026-12-01T02:00:00Z) or this long ago (90s, 30m, 2h, 1d)" };
                Since.Validators.Add(r =>
                {
                    if (r.GetValueOrDefault<string?>() is { } text && !DeadLetterFilter.TryParseSince(text, DateTimeOffset.UtcNow, out _))
                    {
                        r.AddError($"--since '{text}' is neither a time (2026-12-01T02:00:00Z) nor a span (90s, 30m, 2h, 1d).");
                    }
                });
                Limit = new Option<int?>("--limit", "-n") { Description = "At most this many dead letters" }.MustBe(v => v is null or >= 1, "1 or more");
            }
            else
            {
                SourceTopic = new("--source-topic") { Description = "Names the default --topic, <source>.dlq" };
            }
        }

        public Option<string?> Topic { get; } = new("--topic", "-t") { Description = "The dead-letter topic (default: <--source-topic>.dlq, or found from --group's committed offsets)" };

        public Option<string?> SourceTopic { get; }

        public Option<string?> Group { get; } = new("--group", "-g") { Description = "Only dead letters failed by this consumer group (as the GROUP column shows it)" };

        public Option<string?>? Exception { get; }

        public Option<string?>? Key { get; }

        public Option<string?>? Since { get; }

        public Option<int?>? Limit { get; }

        public void AddTo(Command command)
        {
            command.Add(_kafka.BootstrapServers);
            command.Add(_kafka.Properties);
            command.Add(Topic);
            command.Add(SourceTopic);
            command.Add(Group);
            foreach (var option in new Option?[] { Exception, Key, Since, Limit })
            {
                if (option is not null)
                {
                    command.Add(option);
                }
            }
        }

        public DeadLetterFilter Filter(CommandContext context)
        {
            var since = context.Get(Since!) is { } text && DeadLetterFilter.TryParseSince(text, DateTimeOffset.UtcNow, out var at) ? at : (DateTimeOffset?)null;
            return new DeadLetterFilter(context.Get(SourceTopic), context.Get(Exception!), context.Get(Key!), since, context.Get(Group));
        }

        /// <summary>Checks the cluster answers and the dead-letter topic exists.</summary>
        public async Task<(ClientSettings Settings, string Topic, int Partitions, Metadata Metadata)> ConnectAsync(CommandContext context)
        {
            var settings = _kafka.GetSettings(context);
            var given = context.Get(Topic);
            var source = context.Get(SourceTopic);
            var group = context.Get(Group);
            if (given is null && source is null && group is null)
            {
                throw new CommandFailedException(
                    "say which dead-letter topic: --topic orders.dlq, --source-topic orders, or --group G (found from the topics G has committed offsets for).",
                    ExitCodes.Usage);
            }

            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
            var topic = given ?? (source is not null ? source + ".dlq" : await FindAsync(settings, metadata, group!, context).ConfigureAwait(false));
            ClusterProbe.RequireTopic(metadata, topic, settings.BootstrapServers, given is not null ? "--topic" : "--source-topic");
            return (settings, topic, ClusterProbe.PartitionCount(metadata, topic)!.Value, metadata);
        }

        /// <summary>The dead-letter topic (<c>&lt;topic&gt;.dlq</c>) of the topics the group has committed offsets for, when there is one.</summary>
        private static async Task<string> FindAsync(ClientSettings settings, Metadata metadata, string group, CommandContext context)
        {
            using var lag = new GroupLag(settings.Admin(), group, settings.LogTo(context.Errors));
            var committed = await lag.FindCommittedTopicsAsync(metadata).ConfigureAwait(false);
            List<string> found = [.. committed
                .Where(t => !t.EndsWith(".dlq", StringComparison.Ordinal))
                .Select(t => t + ".dlq")
                .Where(t => ClusterProbe.PartitionCount(metadata, t) is not null)
                .Distinct()];
            return found.Count switch
            {
                1 => found[0],
                0 when committed.Count == 0 => throw new CommandFailedException(
                    $"group {group} has no committed offsets on {settings.BootstrapServers}, so its dead-letter topic cannot be found: check --group, or name the topic with --topic."),
                0 => throw new CommandFailedException(
                    $"none of the topics group {group} has committed offsets for ({string.Join(", ", committed)}) has a <topic>.dlq dead-letter topic: name it with --topic."),
                _ => throw new CommandFailedException(
                    $"group {group} reads topics with several dead-letter topics ({string.Join(", ", found)}): name one with --topic.", ExitCodes.Usage),
            };
        }
    }
}
