using Conveyor.Processing;

namespace Conveyor.Samples;

/// <summary>
/// A processor in a console app: JSON orders handled concurrently (in order per customer), a
/// failure retried with back-off, a message that is not JSON dead-lettered, and Ctrl-C or SIGTERM
/// draining and committing before the process exits.
/// </summary>
public static class ConsoleSample
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellation)
    {
        await using var cluster = await SampleCluster.StartAsync(args, output, ("orders", 3), ("orders.dlq", 1));
        var sent = await cluster.SendAsync("orders", Orders.Sample(count: 20, malformedEvery: 7));
        var progress = new CommitProgress(sent);
        using var stop = new StopSignal(cancellation);
        stop.StopWhen(progress.AllCommitted, Orders.KeepRunning(args));

        var failedOnce = new HashSet<int>();
        var options = new ProcessorOptions
        {
            GroupId = "orders-console",
            Topics = ["orders"],
            Retry = new RetryOptions { MaxAttempts = 3, InitialDelay = TimeSpan.FromMilliseconds(100) },
            CommitInterval = TimeSpan.FromSeconds(1),
        };
        await using var processor = new KafkaProcessorBuilder<string, Order>(cluster.Client, options)
            .SetObserver(new Narrator(output, progress))
            .Handle((message, ct) =>
        {
            // Order 5 fails at its first attempt: retried after 100 ms, then handled.
            lock (failedOnce)
            {
                if (message.Value.Id == 5 && failedOnce.Add(5))
                {
                    throw new TimeoutException("the order service timed out (simulated)");
                }
            }

            output.WriteLine($"order {message.Value.Id} for {message.Key}: {message.Value.Amount} (partition {message.Partition}, offset {message.Offset})");
            return ValueTask.CompletedTask;
        })
            .Build();

        await processor.RunAsync(stop.Token);
        await output.WriteLineAsync($"console sample finished: {sent.Count} orders sent, all handled or dead-lettered and committed");
        return 0;
    }
}
