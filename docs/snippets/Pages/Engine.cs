using Confluent.SchemaRegistry;
using Confluent.SchemaRegistry.Serdes;
using Conveyor.Configuration;
using Conveyor.Processing;

namespace Conveyor.Docs.Snippets;

internal static class Engine
{
    public static async Task ProcessAsync(CancellationToken stoppingToken)
    {
        #region processor
        var client = new KafkaClientProperties("localhost:9092");
        var options = new ProcessorOptions { GroupId = "orders-service", Topics = ["orders"] };
        await using var processor = new KafkaProcessor<string, Order>(client, options, async (message, ct) =>
        {
            await Stand.SaveAsync(message.Value, ct); // throw to fail: retried, then dead-lettered
        });
        await processor.RunAsync(stoppingToken); // cancel to stop: drains, commits, leaves the group
        #endregion
    }

    public static async Task SchemaRegistryAsync(KafkaClientProperties client, ProcessorOptions options, MessageHandler<string, Order> handleAsync, CancellationToken stoppingToken)
    {
        #region schema-registry
        using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = "http://registry:8081" });
        await using var processor = new KafkaProcessor<string, Order>(client, options, handleAsync,
            keyDeserializer: null, // UTF-8
            valueDeserializer: new JsonDeserializer<Order>(registry), // Schema Registry's JSON serde
            observer: null);
        #endregion
        await processor.RunAsync(stoppingToken);
    }
}
