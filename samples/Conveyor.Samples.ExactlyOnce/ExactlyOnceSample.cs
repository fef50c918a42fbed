using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Samples;

/// <summary>
/// Exactly-once forwarding: outputs and input offsets are committed in one transaction, so a
/// read_committed consumer of the output sees each input's output once. (The embedded broker
/// accepts transactions but does not enforce them: run it with -b against a real cluster to see the
/// guarantee hold.)
/// </summary>
public static class ExactlyOnceSample
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellation)
    {
        await using var cluster = await SampleCluster.StartAsync(args, output, ("payments", 3), ("ledger", 3), ("payments.dlq", 1));
        var sent = await cluster.SendAsync("payments", Orders.Sample(count: 20));
        var progress = new CommitProgress(sent);
        using var stop = new StopSignal(cancellation);
        stop.StopWhen(progress.AllCommitted, Orders.KeepRunning(args));

        var options = new ProcessorOptions
        {
            GroupId = "ledger-writer",
            Topics = ["payments"],
            Guarantee = DeliveryGuarantee.ExactlyOnce,
            Ordering = OrderingMode.Partition,                      // exactly-once needs it
            TransactionalId = $"ledger-writer-{Environment.MachineName}", // one per running instance, the same after a restart
            CommitInterval = TimeSpan.FromMilliseconds(500),
        };
        await using var forwarder = new KafkaProcessorBuilder<string, Order>(cluster.Client, options)
            .SetObserver(new Narrator(output, progress))
            .Forward((message, ct) =>
            ValueTask.FromResult<IReadOnlyList<OutputRecord>>(
                [OutputRecord.Utf8("ledger", message.Key, $"debit {message.Value.Customer} {message.Value.Amount}")]))
            .Build();

        await forwarder.RunAsync(stop.Token);
        await output.WriteLineAsync($"exactly-once sample finished: {sent.Count} payments written to ledger in transactions with their offsets");
        return 0;
    }
}
