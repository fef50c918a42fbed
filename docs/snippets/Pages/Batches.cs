using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Batching;

namespace Conveyor.Docs.Snippets;

internal static class Batches
{
    public static async Task LoadAsync(KafkaClientProperties client, CancellationToken stoppingToken)
    {
        #region batch
        var options = new ProcessorOptions { GroupId = "loader", Topics = ["events"] };
        var batching = new BatchOptions { MaxMessages = 500, MaxBytes = 4 << 20, MaxWait = TimeSpan.FromMilliseconds(200) };
        await using var processor = new KafkaProcessorBuilder<string, Event>(client, options)
            .HandleBatches(async (batch, ct) =>
            {
                for (var i = 0; i < batch.Count; i++)
                {
                    try { await Stand.StoreAsync(batch[i].Value, ct); }
                    catch (Exception e) { throw new BatchFailedException(i, e); } // the ones before i are done
                }
            }, batching)
            .Build();
        #endregion
        await processor.RunAsync(stoppingToken);
    }
}
