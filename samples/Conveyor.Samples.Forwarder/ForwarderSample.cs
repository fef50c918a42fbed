using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Samples;

/// <summary>
/// rust-rdkafka's at-least-once example, done concurrently: each order is forwarded to two topics,
/// and its offset is committed only once the broker acknowledged both outputs.
/// </summary>
public static class ForwarderSample
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellation)
    {
        await using var cluster = await SampleCluster.StartAsync(args, output, ("orders", 3), ("orders.audit", 3), ("orders.billing", 3), ("orders.dlq", 1));
        var sent = await cluster.SendAsync("orders", Orders.Sample(count: 20));
        var progress = new CommitProgress(sent);
        using var stop = new StopSignal(cancellation);
        stop.StopWhen(progress.AllCommitted, Orders.KeepRunning(args));

        var options = new ProcessorOptions { GroupId = "orders-forwarder", Topics = ["orders"], CommitInterval = TimeSpan.FromSeconds(1) };
        await using var forwarder = new KafkaProcessorBuilder<string, Order>(cluster.Client, options)
            .SetObserver(new Narrator(output, progress))
            .Forward((message, ct) =>
            ValueTask.FromResult<IReadOnlyList<OutputRecord>>(
            [
                OutputRecord.Utf8("orders.audit", message.Key, $"order {message.Value.Id} seen"),
                OutputRecord.Utf8("orders.billing", message.Key, $"bill {message.Value.Customer} {message.Value.Amount}"),
            ]))
            .Build();

        await forwarder.RunAsync(stop.Token);
        await output.WriteLineAsync($"forwarder sample finished: {sent.Count} orders forwarded to orders.audit and orders.billing, offsets committed after both acknowledgements");
        return 0;
    }
}
