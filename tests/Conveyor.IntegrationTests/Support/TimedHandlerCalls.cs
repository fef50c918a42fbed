using System.Collections.Concurrent;
using System.Diagnostics;
using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Concurrency;

namespace Conveyor.IntegrationTests.Support;

/// <summary>
/// The set-up of the tests that time handler calls (rate limit, overload back-off): a new topic of
/// <c>count</c> messages with keys and values of their own, and a processor on it whose every
/// handler call is timed when it starts, until each message was handled without throwing.
/// </summary>
internal sealed class TimedHandlerCalls
{
    private readonly ConcurrentQueue<long> _starts = new();
    private readonly ConcurrentDictionary<string, bool> _handled = new();
    private readonly TaskCompletionSource _all = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _bootstrap;
    private readonly int _count;

    private TimedHandlerCalls(string bootstrap, string topic, int count)
    {
        _bootstrap = bootstrap;
        Topic = topic;
        _count = count;
    }

    public string Topic { get; }

    /// <summary>Completes once every message was handled without throwing.</summary>
    public Task AllHandled => _all.Task;

    /// <summary>How many messages were handled without throwing.</summary>
    public int Handled => _handled.Count;

    /// <summary>The <see cref="Stopwatch"/> timestamp at which each handler call started, retries included, in order.</summary>
    public List<long> Starts => [.. _starts.Order()];

    /// <summary>Makes a new topic of <paramref name="partitions"/> and writes <paramref name="count"/> messages to it.</summary>
    public static async Task<TimedHandlerCalls> CreateAsync(EmbeddedKafkaFixture kafka, int partitions, int count)
    {
        var calls = CreateEmpty(kafka, partitions, count);
        await calls.WriteAsync();
        return calls;
    }

    /// <summary>Makes a new topic of <paramref name="partitions"/>, empty until <see cref="WriteAsync"/> writes the <paramref name="count"/> messages.</summary>
    public static TimedHandlerCalls CreateEmpty(EmbeddedKafkaFixture kafka, int partitions, int count) =>
        new(kafka.Cluster.BootstrapServers, kafka.CreateTopic(partitions), count);

    /// <summary>Writes the <c>count</c> messages to the topic.</summary>
    public Task WriteAsync() =>
        KafkaTestClient.ProduceAsync(_bootstrap, Topic, [.. Enumerable.Range(0, _count).Select(i => ((string?)$"k{i}", $"m{i}"))]);

    /// <summary>A processor of the topic in a group of its own, with the test's concurrency settings; <paramref name="call"/> runs in each handler call and may throw; <paramref name="observer"/> hears its events.</summary>
    public IKafkaProcessor Processor(int maxConcurrency, ConcurrencyOptions concurrency, RetryOptions? retry = null, Action? call = null, IProcessorObserver? observer = null)
    {
        var options = new ProcessorOptions
        {
            GroupId = Names.Unique("group"),
            Topics = [Topic],
            MaxConcurrency = maxConcurrency,
            Concurrency = concurrency,
            Retry = retry ?? new RetryOptions(),
        };
        var builder = new KafkaProcessorBuilder<string, string>(new KafkaClientProperties(_bootstrap), options);
        if (observer is not null)
        {
            builder.SetObserver(observer);
        }

        return builder
            .Handle((message, _) =>
            {
                _starts.Enqueue(Stopwatch.GetTimestamp());
                call?.Invoke();
                _handled[message.Value] = true;
                if (_handled.Count == _count)
                {
                    _all.TrySetResult();
                }

                return ValueTask.CompletedTask;
            })
            .Build();
    }
}
