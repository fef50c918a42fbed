using System.Globalization;
using Conveyor.Configuration;
using Conveyor.Processing.Forwarding;
using Conveyor.Testing;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// <c>ceiling [--pairs N] [--rounds R] [--partitions P] VARIANT...</c>: the forwarder's ceiling
/// (<see cref="ProducerOnlyRunner"/>, the output sender alone writing pairs) under output producer
/// settings side by side, so what limits it can be measured without the whole engine run. A
/// variant is <c>default</c> or <c>name=value[,name=value...]</c>: <c>window=N</c> sets
/// <see cref="ForwardingOptions.MaxUnacknowledgedOutputs"/>, any other name is a librdkafka
/// property given to the producer over Conveyor's defaults; <c>engine</c> and <c>raw</c> consume a
/// backlog of as many messages in as many partitions with the no-op engine and the raw loop, so the
/// cost of a consumed message stands beside a produced pair's; <c>forward[:name=value,...]</c>
/// forwards that backlog (<see cref="ForwardingRunner"/>, each input to both topics) with those
/// producer settings. Each round runs every variant once, starting one further along each round;
/// prints each run (CPU per item, by thread with <c>CONVEYOR_THREAD_CPU=1</c>; for the producer
/// alone, how full its window stayed) and the medians.
/// </summary>
internal static class CeilingBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var pairs = 100_000;
        var rounds = 5;
        var partitions = 24;
        var variants = new List<Variant>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--pairs" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var p) && p >= 2:
                    pairs = p;
                    i++;
                    break;
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r >= 1:
                    rounds = r;
                    i++;
                    break;
                case "--partitions" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n >= 1:
                    partitions = n;
                    i++;
                    break;
                default:
                    if (Variant.Parse(args[i]) is not { } variant)
                    {
                        await Console.Error.WriteLineAsync($"'{args[i]}' is not a variant: usage: ceiling [--pairs N] [--rounds R] [--partitions P] default|engine|raw|forward[:name=value,...]|name=value[,name=value...] ...").ConfigureAwait(false);
                        return 2;
                    }

                    variants.Add(variant);
                    break;
            }
        }

        if (variants.Count == 0)
        {
            variants.Add(Variant.Parse("default")!);
        }

        await using var cluster = EmbeddedKafkaCluster.Start();
        var backlog = new Backlog("none", partitions, pairs);
        var client = BenchmarkSettings.Client(cluster.BootstrapServers);
        var consumed = variants.Any(v => v.Consumes) ? new BacklogProducer(cluster, BenchmarkSettings.QuickRun).Produce("ceiling-backlog", partitions, pairs) : null;
        var results = variants.ToDictionary(v => v, _ => new List<Throughput>());
        Log($"ceiling: {pairs:N0} pairs a run into 2 topics of {partitions} partitions, {rounds} rounds of {variants.Count} variants, a warm-up run of each first");
        for (var round = 0; round <= rounds; round++)
        {
            for (var k = 0; k < variants.Count; k++)
            {
                var variant = variants[(k + round) % variants.Count];
                string? window = null;
                var run = variant.Name switch
                {
                    "engine" => await new EngineRunner(client).RunAsync("engine", consumed!, consumed!.Messages).ConfigureAwait(false),
                    "raw" => await new RawLoopRunner(client).RunAsync("raw", consumed!, consumed!.Messages).ConfigureAwait(false),
                    _ when variant.Forwards => await new ForwardingRunner(cluster, variant.Client(cluster.BootstrapServers, client.Properties))
                        .RunAsync(variant.Name, consumed!, consumed!.Messages, $"ceiling-forward-{round}-{k}").ConfigureAwait(false),
                    _ => Produce(cluster, variant, backlog, round == 0 ? Math.Min(pairs, 20_000) : pairs, $"ceiling-{round}-{k}", out window),
                };
                var unit = variant.Consumes ? "message" : "pair";
                Log($"{(round == 0 ? "warm-up" : $"round {round}")} {variant.Name}: {run.PerSecond:N0} {unit}s/s, {run.CpuMicrosecondsPerMessage:F2} µs CPU and "
                    + $"{run.AllocatedBytesPerMessage:N0} B per {unit}{(window is null ? "" : $"; {window}")}{(run.Threads is { } threads ? $"; by thread (µs each): {threads}" : "")}");
                if (round > 0)
                {
                    results[variant].Add(run);
                }
            }
        }

        foreach (var (variant, runs) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{variant.Name,-60} median {Median(runs, r => r.PerSecond),10:N0} /s  {Median(runs, r => r.CpuMicrosecondsPerMessage),6:F2} µs CPU each  (per second {string.Join(", ", runs.Select(r => r.PerSecond.ToString("N0", CultureInfo.InvariantCulture)))})"));
        }

        return 0;
    }

    private static Throughput Produce(EmbeddedKafkaCluster cluster, Variant variant, Backlog backlog, int pairs, string prefix, out string? window)
    {
        var runner = new ProducerOnlyRunner(cluster, variant.Client(cluster.BootstrapServers)) { Options = variant.Options, Timed = true };
        var run = runner.Run(variant.Name, backlog, pairs, prefix, 100);
        window = runner.LastWindow;
        return run;
    }

    private static double Median(List<Throughput> runs, Func<Throughput, double> figure)
    {
        var sorted = runs.Select(figure).Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static void Log(string line) => Console.Error.WriteLine($"[{DateTime.Now:HH:mm:ss}] {line}");

    /// <summary>One setting of the output producer: the window and librdkafka properties over Conveyor's defaults.</summary>
    private sealed record Variant(string Name, ForwardingOptions Options, IReadOnlyList<KafkaProperty> Properties)
    {
        /// <summary>Consumes the backlog instead of producing pairs.</summary>
        public bool Consumes => Name is "engine" or "raw" || Forwards;

        /// <summary>Forwards the backlog.</summary>
        public bool Forwards => Name.StartsWith("forward", StringComparison.Ordinal);

        public static Variant? Parse(string text)
        {
            if (text is "default" or "engine" or "raw" or "forward")
            {
                return new Variant(text, new ForwardingOptions(), []);
            }

            var settings = text.StartsWith("forward:", StringComparison.Ordinal) ? text["forward:".Length..] : text;
            var options = new ForwardingOptions();
            var properties = new List<KafkaProperty>();
            foreach (var part in settings.Split(','))
            {
                if (part.Split('=', 2) is not [var name, var value] || name.Length == 0)
                {
                    return null;
                }

                if (name == "window" && settings != text)
                {
                    return null; // a forwarder's window is its own option, not set here
                }

                if (name == "window")
                {
                    if (!int.TryParse(value, CultureInfo.InvariantCulture, out var window) || window < 1)
                    {
                        return null;
                    }

                    options = options with { MaxUnacknowledgedOutputs = window };
                }
                else
                {
                    properties.Add(new KafkaProperty(name, value));
                }
            }

            return new Variant(text, options, properties);
        }

        public KafkaClientProperties Client(string bootstrapServers, IEnumerable<KafkaProperty>? consumer = null) => new(bootstrapServers, [.. consumer ?? [], .. Properties]);
    }
}
