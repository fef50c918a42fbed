using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.Samples;

/// <summary>
/// A batch handler: orders of one partition arrive together (up to 50, or what came within
/// 200 ms), as for a bulk insert; a failure at one message finishes the ones before it.
/// </summary>
public static class BatchSample
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellation)
    {
        await using var cluster = await SampleCluster.StartAsync(args, output, ("orders", 3), ("orders.dlq", 1));
        var sent = await cluster.SendAsync("orders", Orders.Sample(count: 200));
        var progress = new CommitProgress(sent);
        using var stop = new StopSignal(cancellation);
        stop.StopWhen(progress.AllCommitted, Orders.KeepRunning(args));

        var options = new ProcessorOptions
        {
            GroupId = "orders-loader",
            Topics = ["orders"],
            CommitInterval = TimeSpan.FromSeconds(1),
            Batch = new BatchOptions { MaxMessages = 50, MaxWait = TimeSpan.FromMilliseconds(200) },
        };
        await using var processor = new KafkaProcessorBuilder<string, Order>(cluster.Client, options)
            .SetObserver(new Narrator(output, progress))
            .HandleBatches((batch, ct) =>
        {
            var total = 0m;
            for (var i = 0; i < batch.Count; i++)
            {
                total += batch[i].Value.Amount; // a bulk insert would go here; throw BatchFailedException(i, e) when message i fails
            }

            output.WriteLine($"batch of {batch.Count} from partition {batch[0].Partition} (offsets {batch[0].Offset}-{batch[^1].Offset}): total {total}");
            return ValueTask.CompletedTask;
        })
            .Build();

        await processor.RunAsync(stop.Token);
        await output.WriteLineAsync($"batch sample finished: {sent.Count} orders handled in batches and committed");
        return 0;
    }
}
