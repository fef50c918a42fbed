using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.Samples;

/// <summary>
/// Delayed retry topics: an order that fails is handed to orders.retry.1 (retried after 1 s), then
/// orders.retry.2 (after 2 s), then the dead-letter topic, while its partition moves on at once.
/// </summary>
public static class RetryTopicsSample
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, CancellationToken cancellation)
    {
        await using var cluster = await SampleCluster.StartAsync(args, output, ("orders", 3), ("orders.retry.1", 1), ("orders.retry.2", 1), ("orders.dlq", 1));
        var sent = await cluster.SendAsync("orders", Orders.Sample(count: 20));
        var progress = new CommitProgress(sent);
        using var stop = new StopSignal(cancellation);
        var retried = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var deadLettered = new DeadLetterWatch();
        stop.StopWhen(Task.WhenAll(progress.AllCommitted, retried.Task, deadLettered.First), Orders.KeepRunning(args));

        var attempts = new Dictionary<int, int>();
        var options = new ProcessorOptions
        {
            GroupId = "orders-retrying",
            Topics = ["orders"],
            CommitInterval = TimeSpan.FromSeconds(1),
            Retry = new RetryOptions { MaxAttempts = 1 },          // no in-process retry: straight to the retry topics
            OnFailure = FailureAction.RetryTopics,
            RetryTopics = new RetryTopicOptions { Delays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)] },
        };
        await using var processor = new KafkaProcessorBuilder<string, Order>(cluster.Client, options)
            .SetObserver(new Narrator(output, progress, deadLettered))
            .Handle((message, ct) =>
        {
            int attempt;
            lock (attempts)
            {
                attempt = attempts[message.Value.Id] = attempts.GetValueOrDefault(message.Value.Id) + 1;
            }

            // Order 3 works at its second try (from orders.retry.1); order 4 never does (dead-lettered after orders.retry.2).
            if ((message.Value.Id == 3 && attempt < 2) || message.Value.Id == 4)
            {
                throw new InvalidOperationException($"order {message.Value.Id} failed at try {attempt} (simulated)");
            }

            output.WriteLine($"order {message.Value.Id} handled from {message.Topic} (try {attempt})");
            if (message.Value.Id == 3)
            {
                retried.TrySetResult();
            }

            return ValueTask.CompletedTask;
        })
            .Build();

        await processor.RunAsync(stop.Token);
        await output.WriteLineAsync($"retry-topics sample finished: {sent.Count} orders handled or dead-lettered and committed");
        return 0;
    }

    private sealed class DeadLetterWatch : IProcessorObserver
    {
        private readonly TaskCompletionSource _first = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task First => _first.Task;

        public void OnDeadLettered(TopicPartitionOffset message, TopicPartitionOffset deadLetter, Exception exception)
        {
            if (deadLetter.Topic == "orders.dlq")
            {
                _first.TrySetResult();
            }
        }
    }
}
