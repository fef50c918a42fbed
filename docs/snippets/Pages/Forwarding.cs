using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Docs.Snippets;

internal static class Forwarding
{
    public static async Task ForwardAsync(KafkaClientProperties client, ProcessorOptions options, CancellationToken stoppingToken)
    {
        #region forwarder
        await using var forwarder = new KafkaProcessorBuilder<string, Order>(client, options)
            .Forward((message, ct) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>(
            [
                OutputRecord.Utf8("orders.audit", message.Key, Stand.Describe(message.Value)),
                OutputRecord.Utf8("orders.billing", message.Key, Stand.Bill(message.Value)),
            ]))
            .Build();
        await forwarder.RunAsync(stoppingToken);
        #endregion
    }

    public static IKafkaProcessor ExactlyOnce(KafkaClientProperties client, string instanceName, ForwardingHandler<string, Order> handler)
    {
        #region exactly-once
        var options = new ProcessorOptions
        {
            GroupId = "billing",
            Topics = ["orders"],
            Guarantee = DeliveryGuarantee.ExactlyOnce,
            Ordering = OrderingMode.Partition,          // or Key with PersistCompletions, see below
            TransactionalId = "billing-" + instanceName,  // unique per running instance, stable across its restarts
            CommitInterval = TimeSpan.FromMilliseconds(500),
            CommitEveryMessages = 1_000,
        };
        var forwarder = new KafkaProcessorBuilder<string, Order>(client, options).Forward(handler).Build();
        #endregion
        return forwarder;
    }
}
