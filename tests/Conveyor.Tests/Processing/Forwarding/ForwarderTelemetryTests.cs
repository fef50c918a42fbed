using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Tests.Processing.Forwarding;

public class ForwarderTelemetryTests
{
    private const string Secret = "hunter2-secret";

    [Fact]
    public async Task A_secret_in_an_output_producer_error_never_reaches_the_users_observer()
    {
        // The secret is also the broker's host name, so every connection error of every client
        // (the consumer and the forwarder's output producer) names it. No broker is needed.
        var client = new KafkaClientProperties($"{Secret}.invalid:9092", [KafkaProperty.Parse($"sasl.password={Secret}")]);
        var options = new ProcessorOptions { GroupId = "g-" + Guid.NewGuid(), Topics = ["in"], OnFailure = FailureAction.StopPartition };
        var observer = new Recorder();
        var forwarder = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(observer).Forward((_, _) => ValueTask.FromResult<IReadOnlyList<OutputRecord>>([])).Build();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var running = forwarder.RunAsync(stop.Token);
        await observer.ProducerFailedTwice.Task.WaitAsync(stop.Token);
        await stop.CancelAsync();
        await running;

        Assert.NotEmpty(observer.Errors);
        Assert.DoesNotContain(observer.Errors, e => e.Reason.Contains(Secret, StringComparison.Ordinal));
        Assert.DoesNotContain(observer.Lines, l => l.Message.Contains(Secret, StringComparison.Ordinal));
        Assert.Contains(observer.Errors, e => e.Reason.Contains(SecretProperties.Mask, StringComparison.Ordinal));
    }

    private sealed class Recorder : IProcessorObserver
    {
        private int _producerFailures;

        public ConcurrentQueue<Error> Errors { get; } = new();

        public ConcurrentQueue<LogMessage> Lines { get; } = new();

        /// <summary>
        /// The output producer logged a second failed connection: its error for the first one (raised
        /// together with that log line) has been delivered by then.
        /// </summary>
        public TaskCompletionSource ProducerFailedTwice { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnError(Error error) => Errors.Enqueue(error);

        public void OnClientLog(LogMessage message)
        {
            Lines.Enqueue(message);
            if (message.Name.Contains("producer", StringComparison.Ordinal) && message.Message.Contains("Failed to resolve", StringComparison.Ordinal) && Interlocked.Increment(ref _producerFailures) >= 2)
            {
                ProducerFailedTwice.TrySetResult();
            }
        }
    }
}
