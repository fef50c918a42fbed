using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Diagnostics;

/// <summary>Traces, heard through an ActivityListener: continued from the message headers, kept on dead letters.</summary>
[Collection(ProcessingCollection.Name)]
public class TracingTests(EmbeddedKafkaFixture kafka)
{
    [Fact]
    public async Task Each_message_is_processed_in_an_activity_continuing_the_trace_of_its_headers_and_its_dead_letter_keeps_the_trace()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        var activities = new ConcurrentQueue<Activity>();
        using var listener = Listen(activities);

        // One message sent through the producer helper, one with a traceparent written by someone else.
        var sendHeaders = new Headers();
        Activity? send;
        using (send = KafkaTraceContext.StartSend(topic, sendHeaders))
        {
            Assert.NotNull(send);
        }

        var foreignTrace = ActivityTraceId.CreateRandom();
        var foreignSpan = ActivitySpanId.CreateRandom();
        var foreignHeaders = new Headers { { KafkaTraceContext.TraceParentHeader, Encoding.ASCII.GetBytes($"00-{foreignTrace}-{foreignSpan}-01") } };
        using (var producer = new ProducerBuilder<string, string>(new ProducerConfig { BootstrapServers = kafka.Cluster.BootstrapServers }).Build())
        {
            await producer.ProduceAsync(topic, new Message<string, string> { Key = "good", Value = "1", Headers = sendHeaders });
            await producer.ProduceAsync(topic, new Message<string, string> { Key = "bad", Value = "2", Headers = foreignHeaders });
        }

        var seenInHandler = new ConcurrentDictionary<string, ActivityTraceId>();
        var observer = new RecordingObserver();
        var options = new ProcessorOptions { GroupId = group, Topics = [topic], Retry = new RetryOptions { MaxAttempts = 1 } };
        var processor = new KafkaProcessorBuilder<string, string>(
            new KafkaClientProperties(kafka.Cluster.BootstrapServers, [new("session.timeout.ms", "6000")]), options).SetObserver(observer).Handle((message, _) =>
            {
                seenInHandler[message.Key] = Activity.Current?.TraceId ?? default;
                return message.Key == "bad" ? throw new InvalidOperationException("cannot handle") : ValueTask.CompletedTask;
            }).Build();
        using var stop = new CancellationTokenSource();
        var run = processor.RunAsync(stop.Token);
        await WaitUntil(() => seenInHandler.Count == 2 && !observer.DeadLettered.IsEmpty, Timeouts.Flow);
        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);

        var processed = activities.Where(a => a.OperationName == $"process {topic}" && (string?)a.GetTagItem(MessagingAttributes.ConsumerGroup) == group).ToList();
        Assert.Equal(2, processed.Count);
        var good = Assert.Single(processed, a => a.TraceId == send!.TraceId);
        Assert.Equal(send!.SpanId, good.ParentSpanId);
        Assert.Equal(ActivityKind.Consumer, good.Kind);
        Assert.Equal(ActivityStatusCode.Unset, good.Status);
        Assert.Equal(send.TraceId, seenInHandler["good"]);

        var bad = Assert.Single(processed, a => a.TraceId == foreignTrace);
        Assert.Equal(foreignSpan, bad.ParentSpanId);
        Assert.Equal(ActivityStatusCode.Error, bad.Status);
        Assert.Contains(bad.Events, e => e.Name == "exception");
        Assert.Equal(foreignTrace, seenInHandler["bad"]);

        var letter = Assert.Single(KafkaTestClient.ReadToEnd(kafka.Cluster.BootstrapServers, topic + ".dlq", Timeouts.Flow));
        Assert.Single(letter.Message.Headers, h => h.Key == KafkaTraceContext.TraceParentHeader);
        Assert.True(KafkaTraceContext.TryExtract(letter.Message.Headers, out var carried));
        Assert.Equal(foreignTrace, carried.TraceId);
        Assert.Equal(bad.SpanId, carried.SpanId);
    }

    [Fact]
    public async Task A_message_without_trace_context_starts_its_own_trace_even_when_the_processor_runs_inside_another_activity()
    {
        var topic = kafka.CreateTopic(partitions: 1);
        var group = Names.Unique("group");
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, [("k", "1")]);
        var activities = new ConcurrentQueue<Activity>();
        using var listener = Listen(activities);
        var inHandler = new TaskCompletionSource<(ActivityTraceId Trace, ActivitySpanId Span)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var processor = new KafkaProcessorBuilder<string, string>(
            new KafkaClientProperties(kafka.Cluster.BootstrapServers, [new("session.timeout.ms", "6000")]), new ProcessorOptions { GroupId = group, Topics = [topic] }).Handle((_, _) =>
            {
                inHandler.TrySetResult((Activity.Current?.TraceId ?? default, Activity.Current?.SpanId ?? default));
                return ValueTask.CompletedTask;
            }).Build();

        using var stop = new CancellationTokenSource();
        Task run;
        using (var ambient = new Activity("ambient").SetIdFormat(ActivityIdFormat.W3C).Start())
        {
            run = processor.RunAsync(stop.Token);
            var seen = await inHandler.Task.WaitAsync(Timeouts.Flow);
            Assert.NotEqual(ambient.TraceId, seen.Trace);
        }

        await stop.CancelAsync();
        await run.WaitAsync(Timeouts.Stop);
        var processed = Assert.Single(activities, a => (string?)a.GetTagItem(MessagingAttributes.ConsumerGroup) == group);
        Assert.Equal(default, processed.ParentSpanId);
        Assert.Equal((processed.TraceId, processed.SpanId), await inHandler.Task);
    }

    private static ActivityListener Listen(ConcurrentQueue<Activity> activities)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ConveyorDiagnostics.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, $"Timed out after {timeout}.");
            await Task.Delay(20);
        }
    }
}
