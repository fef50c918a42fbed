using System.CommandLine;
using Confluent.Kafka;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Pipe;
using Conveyor.Cli.Tutorial;
using Conveyor.Diagnostics;
using Conveyor.Testing;

namespace Conveyor.Cli.Commands;

/// <summary>
/// <c>conveyor pipe</c>: consume, transform, produce. Forwards every message of <c>--topic</c> to
/// each <c>--to</c> topic; an input's offset is committed only once all its outputs are
/// acknowledged. Without <c>-b</c> it runs on an embedded broker with sample input and stops by itself.
/// </summary>
internal static class PipeCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var engine = new EngineOptions();
        var to = new Option<string[]>("--to")
        {
            Description = "Output topic, repeatable: every input message is written to each",
            Arity = ArgumentArity.OneOrMore,
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var transform = new Option<PipeTransform>("--transform")
        {
            Description = "What to do to each value: None forwards it unchanged, Upper as upper-case text",
            DefaultValueFactory = _ => PipeTransform.None,
        };
        var maxMessages = new Option<int?>("--max-messages")
        {
            Description = "Stop after this many messages (default: run until Ctrl-C; on the embedded broker: until the sample input is committed)",
        }.MustBe(v => v is null or >= 1, "1 or more");
        var messages = new Option<int>("--messages", "-n")
        {
            Description = "Embedded broker only (no -b): sample messages to produce into --topic first",
            DefaultValueFactory = _ => 20,
        }.MustBe(v => v >= 1, "1 or more");
        var timeout = new Option<Duration>("--timeout")
        {
            Description = "Embedded broker only: give up when the sample input is not forwarded within this time (e.g. 5s, 2m or hh:mm:ss)",
            DefaultValueFactory = _ => Duration.FromMinutes(2),
        }.MustBe(v => v > TimeSpan.Zero, "positive");

        var transactionalId = new Option<string?>("--transactional-id")
        {
            Description = "With --guarantee ExactlyOnce (and --ordering Partition): the producer's transactional.id, unique per running instance",
        };

        var command = new Command("pipe", "Forward a topic to one or more topics, transformed; offsets pass only once every output is acknowledged")
        {
            to, transform, maxMessages, messages, timeout, transactionalId,
        };
        kafka.AddTo(command, withGroup: true);
        engine.AddTo(command);
        command.SetAction(async (context, cancellationToken) =>
        {
            var topic = context.Get(kafka.Topic);
            var outputs = (context.Get(to) ?? []).Distinct().ToList();
            if (outputs.Any(o => string.IsNullOrWhiteSpace(o) || o == topic))
            {
                throw new CommandFailedException($"--to must name topics other than the input topic '{topic}' (forwarding a topic to itself would loop).", ExitCodes.Usage);
            }

            var processor = engine.ToProcessorOptions(context, topic, context.Get(kafka.Group)) with { TransactionalId = context.Get(transactionalId) };
            EngineOptions.Check(processor, Conveyor.Processing.ProcessorKind.Forwarder);
            var pipe = new PipeSettings(processor, outputs, context.Get(transform), context.Get(maxMessages));
            await using var embedded = kafka.TryGetSettings(context) is null
                ? EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions
                {
                    Topics = [.. new[] { topic, processor.DeadLetterTopicFor(topic) }.Concat(outputs).Distinct().Select(t => new TopicSpec(t, 6))],
                })
                : null;
            var settings = embedded is null ? kafka.GetSettings(context) : kafka.CreateSettings(context, embedded.BootstrapServers);
            var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout, context.Errors);
            ClusterProbe.RequireTopic(metadata, topic, settings.BootstrapServers, "--topic");
            foreach (var output in outputs)
            {
                ClusterProbe.RequireTopic(metadata, output, settings.BootstrapServers, "--to");
            }

            var runner = new PipeRunner(settings, pipe, context.Output, context.Errors);
            if (embedded is null)
            {
                await runner.RunAsync(cancellationToken).ConfigureAwait(false);
                return await StoppedPartitionsAsync(runner, context, cancellationToken).ConfigureAwait(false) ?? ExitCodes.Success;
            }

            await context.Output.WriteLineAsync($"embedded Kafka broker started at {settings.BootstrapServers}; forwarding {topic} to {string.Join(", ", outputs)}").ConfigureAwait(false);
            runner.StopWhenCommitted(await ProduceSampleAsync(settings, topic, context.Get(messages)).ConfigureAwait(false));
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(context.Get(timeout));
            await runner.RunAsync(deadline.Token).ConfigureAwait(false);
            await context.Output.WriteLineAsync(PipeLines.Finished(runner.Observer.Forwarded, [.. outputs.Select(o => (o, Records(settings, o)))])).ConfigureAwait(false);
            if (await StoppedPartitionsAsync(runner, context, cancellationToken).ConfigureAwait(false) is { } failed)
            {
                return failed;
            }

            if (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                await context.Errors.WriteLineAsync($"error: the sample input was not forwarded within {context.Get(timeout)}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }

            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>
    /// A run that ended by itself (--max-messages, the sample committed) with partitions stopped by
    /// <c>--on-failure StopPartition</c> failed: says so and gives exit 1, as consume and demo do. Null otherwise.
    /// </summary>
    private static async Task<int?> StoppedPartitionsAsync(PipeRunner runner, CommandContext context, CancellationToken cancellationToken)
    {
        if (runner.Observer.Console.PartitionsStoppedInRun is > 0 and var stopped && !cancellationToken.IsCancellationRequested)
        {
            await context.Errors.WriteLineAsync(EngineLines.PartitionsStopped(stopped)).ConfigureAwait(false);
            return ExitCodes.Failure;
        }

        return null;
    }

    /// <summary>Writes sample lines into the input topic; returns the next offset of each partition written to.</summary>
    private static async Task<Dictionary<TopicPartition, long>> ProduceSampleAsync(ClientSettings settings, string topic, int count)
    {
        using var producer = new ProducerBuilder<string, string>(settings.Producer()).WithoutLogLines().Build();
        var deliveries = await Task.WhenAll(Enumerable.Range(1, count).Select(i =>
            producer.ProduceAsync(topic, new Message<string, string> { Key = $"user-{i}", Value = $"hello from user-{i}" }))).ConfigureAwait(false);
        return deliveries.GroupBy(d => d.TopicPartition).ToDictionary(g => g.Key, g => g.Max(d => d.Offset.Value) + 1);
    }

    /// <summary>
    /// Records in a topic, counted by reading it to its end (read_committed). Summing high
    /// watermarks would also count transaction markers, which take offsets of their own.
    /// </summary>
    private static long Records(ClientSettings settings, string topic)
    {
        var config = settings.Consumer("conveyor-pipe-count", autoCommit: false);
        config.EnablePartitionEof = true;
        using var consumer = new ConsumerBuilder<Ignore, Ignore>(config).WithoutLogLines().Build();
        var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
        var partitions = Enumerable.Range(0, ClusterProbe.PartitionCount(metadata, topic) ?? 0).Select(p => new TopicPartition(topic, p)).ToList();
        consumer.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var unread = partitions.ToHashSet();
        var deadline = Deadline.In(TimeSpan.FromSeconds(30));
        long records = 0;
        while (unread.Count > 0 && !deadline.Passed)
        {
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                unread.Remove(result.TopicPartition);
            }
            else
            {
                records++;
            }
        }

        return records;
    }
}
