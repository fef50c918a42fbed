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
        await using var processor = new KafkaProcessorBuilder<string, Order>(client, options)
            .Handle(async (message, ct) => await Stand.SaveAsync(message.Value, ct)) // throw to fail: retried, then dead-lettered
            .Build(); // checks everything first: every problem in one KafkaConfigurationException
        await processor.RunAsync(stoppingToken); // cancel (or dispose) to stop: drains, commits, leaves the group
        #endregion
    }

    public static async Task SchemaRegistryAsync(KafkaClientProperties client, ProcessorOptions options, MessageHandler<string, Order> handleAsync, CancellationToken stoppingToken)
    {
        #region schema-registry
        using var registry = new CachedSchemaRegistryClient(new SchemaRegistryConfig { Url = "http://registry:8081" });
        await using var processor = new KafkaProcessorBuilder<string, Order>(client, options)
            .SetValueDeserializer(new JsonDeserializer<Order>(registry)) // Schema Registry's JSON serde; keys UTF-8
            .Handle(handleAsync)
            .Build();
        #endregion
        await processor.RunAsync(stoppingToken);
    }
}
