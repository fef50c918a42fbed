using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;

namespace Conveyor.Docs.Snippets;

internal static class Concurrency
{
    public static async Task RunAsync(KafkaClientProperties client, CancellationToken stoppingToken)
    {
        #region adaptive
        var options = new ProcessorOptions
        {
            GroupId = "billing",
            Topics = ["orders"],
            MaxConcurrency = 256,                                       // the most handlers ever run at once
            Concurrency = new ConcurrencyOptions { Adaptive = true, Min = 2 }, // follow the downstream within [2, 256]
        };
        await using var processor = new KafkaProcessorBuilder<string, Order>(client, options)
            .Handle((message, ct) => new ValueTask(Stand.SaveAsync(message.Value, ct)))
            .Build();
        #endregion
        await processor.RunAsync(stoppingToken);
    }
}
