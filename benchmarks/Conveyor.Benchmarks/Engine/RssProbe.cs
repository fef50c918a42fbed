using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Conveyor.Benchmarks.Engine;

/// <summary>
/// Peak memory of the engine consuming a backlog, measured in a process of its own (this program
/// again, with the hidden <see cref="Command"/>), so runs do not share a heap: the child consumes
/// with a no-op handler and reports its peak resident set (VmHWM) when done.
/// </summary>
internal static class RssProbe
{
    public const string Command = "rss-probe";

    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Runs a child process over the backlog and returns what it reported.</summary>
    /// <param name="bootstrapServers">The parent's embedded broker.</param>
    /// <param name="backlog">What to consume.</param>
    /// <param name="raw">True: the raw consume loop instead of the engine, for comparison.</param>
    public static async Task<RssResult> MeasureAsync(string bootstrapServers, Backlog backlog, bool raw = false)
    {
        var self = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(self) { UseShellExecute = false, RedirectStandardOutput = true };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            start.ArgumentList.Add(typeof(RssProbe).Assembly.Location);
        }

        foreach (var argument in new[] { Command, raw ? "raw" : "engine", bootstrapServers, backlog.Topic, backlog.Messages.ToString(CultureInfo.InvariantCulture), backlog.Partitions.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {self}.");
        var output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        if (process.ExitCode != 0 || last is null)
        {
            throw new InvalidOperationException($"The RSS probe for '{backlog.Topic}' failed (exit code {process.ExitCode}): {output}");
        }

        return JsonSerializer.Deserialize<RssResult>(last, Json) ?? throw new InvalidOperationException($"The RSS probe printed '{last}'.");
    }

    /// <summary>The child: <c>rss-probe engine|raw bootstrap-servers topic messages partitions</c>; prints one JSON line.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        if (args.Length != 5 || args[0] is not ("engine" or "raw")
            || !int.TryParse(args[3], CultureInfo.InvariantCulture, out var messages)
            || !int.TryParse(args[4], CultureInfo.InvariantCulture, out var partitions))
        {
            await Console.Error.WriteLineAsync($"usage: {Command} engine|raw bootstrap-servers topic messages partitions").ConfigureAwait(false);
            return 2;
        }

        var client = BenchmarkSettings.Client(args[1]);
        var backlog = new Backlog(args[2], partitions, messages);
        Throughput throughput;
        using (RssTrace.StartIfEnabled($"{args[0]}, {messages:N0} messages"))
        {
            throughput = args[0] == "raw"
                ? await new RawLoopRunner(client).RunAsync("rss", backlog, messages).ConfigureAwait(false)
                : await new EngineRunner(client).RunAsync("rss", backlog, messages).ConfigureAwait(false);
        }

        var result = new RssResult(messages, ReadStatusKib("VmHWM"), ReadStatusKib("VmRSS"), throughput.PerSecond);
        Console.WriteLine(JsonSerializer.Serialize(result, Json));
        return 0;
    }

    internal static long ReadStatusKib(string field)
    {
        // e.g. "VmHWM:	  123456 kB"
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line[(field.Length + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }
}

/// <summary>What an RSS probe reported.</summary>
internal sealed record RssResult(int Messages, long PeakRssKib, long RssKib, double MessagesPerSecond)
{
    public double PeakRssMib => PeakRssKib / 1024.0;
}
