using System.Collections.Concurrent;
using System.Globalization;
using Conveyor.DeadLetters;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.IntegrationTests.RetryTopics;

/// <summary>
/// A source topic with its retry topics and dead-letter topic, and which ids fail how often:
/// every 3rd once (handled from retry 1), every 5th twice (from retry 2), every 7th always
/// (dead-lettered after retry 2); the rest succeed at once.
/// </summary>
internal sealed class RetryChain
{
    private readonly EmbeddedKafkaFixture _kafka;
    private readonly int _count;
    private readonly TimeSpan[] _delays;

    private RetryChain(EmbeddedKafkaFixture kafka, string topic, int count, TimeSpan[] delays, TimeSpan commitInterval)
    {
        _kafka = kafka;
        _count = count;
        _delays = delays;
        Topic = topic;
        Options = new ProcessorOptions
        {
            GroupId = Names.Unique("group"),
            Topics = [topic],
            OnFailure = FailureAction.RetryTopics,
            RetryTopics = new RetryTopicOptions { Delays = delays },
            Retry = new RetryOptions { MaxAttempts = 1 },
            CommitInterval = commitInterval,
            MaxConcurrency = 4,
        };
    }

    public string Topic { get; }

    public ProcessorOptions Options { get; }

    public ConcurrentDictionary<int, List<(string Topic, DateTime At)>> Attempts { get; } = new();

    public ConcurrentDictionary<int, string> Succeeded { get; } = new();

    public string DeadLetterTopic => Options.DeadLetterTopicFor(Topic);

    /// <summary>Creates the topics and produces ids 0 to <paramref name="count"/> - 1 to the source topic.</summary>
    public static async Task<RetryChain> CreateAsync(EmbeddedKafkaFixture kafka, int count, TimeSpan[] delays, TimeSpan commitInterval)
    {
        var chain = new RetryChain(kafka, kafka.CreateTopic(partitions: 2), count, delays, commitInterval);
        kafka.Cluster.CreateTopic(chain.Options.RetryTopics.TopicFor(chain.Topic, 1), 2);
        kafka.Cluster.CreateTopic(chain.Options.RetryTopics.TopicFor(chain.Topic, 2), 2);
        kafka.Cluster.CreateTopic(chain.DeadLetterTopic, 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, chain.Topic, Enumerable.Range(0, chain._count).Select(i => ((string?)$"k{i % 7}", i.ToString(CultureInfo.InvariantCulture))));
        return chain;
    }

    public static int FailuresOf(int id) => id % 7 == 3 ? int.MaxValue : id % 5 == 1 ? 2 : id % 3 == 2 ? 1 : 0;


    /// <summary>Records an attempt of the id in <paramref name="value"/>; throws when it is to fail.</summary>
    public void Attempt(string topic, string value)
    {
        var id = int.Parse(value, CultureInfo.InvariantCulture);
        var seen = Attempts.GetOrAdd(id, _ => []);
        lock (seen)
        {
            seen.Add((topic, DateTime.UtcNow));
            if (seen.Count <= FailuresOf(id))
            {
                throw new InvalidOperationException($"attempt {seen.Count} of {id} fails");
            }
        }

        Succeeded[id] = topic;
    }

    /// <summary>Asserts every id succeeded in its stage after the delays, or was dead-lettered, and every stage is committed to its end.</summary>
    public void AssertDelivered()
    {
        var expectedDeadLetters = Enumerable.Range(0, _count).Where(i => FailuresOf(i) == int.MaxValue).ToList();

        // Each id succeeded in the stage its failures lead to, or was dead-lettered after the last one.
        foreach (var id in Enumerable.Range(0, _count).Except(expectedDeadLetters))
        {
            var stage = FailuresOf(id);
            Assert.Equal(stage == 0 ? Topic : Options.RetryTopics.TopicFor(Topic, stage), Succeeded[id]);
        }

        Assert.DoesNotContain(expectedDeadLetters, Succeeded.ContainsKey);

        // Every retry waited at least its topic's delay after the failure before it.
        foreach (var (id, seen) in Attempts)
        {
            Assert.Equal(Math.Min(FailuresOf(id), _delays.Length) + 1, seen.Count);
            for (var i = 1; i < seen.Count; i++)
            {
                var waited = seen[i].At - seen[i - 1].At;
                Assert.True(waited >= _delays[i - 1] - TimeSpan.FromMilliseconds(5), $"id {id}: attempt {i + 1} came {waited.TotalMilliseconds:0} ms after attempt {i}, before its {_delays[i - 1]} delay");
            }
        }

        // The dead-letter topic holds exactly the always-failing ids, after the last retry topic.
        var deadLetters = KafkaTestClient.ReadAll(_kafka.Cluster.BootstrapServers, DeadLetterTopic, expectedDeadLetters.Count, Timeouts.Flow);
        Assert.Equal(expectedDeadLetters, deadLetters.Select(d => int.Parse(d.Message.Value!, CultureInfo.InvariantCulture)).Order());
        Assert.All(deadLetters, d =>
        {
            Assert.Equal("2", d.Header(RetryTopicHeaders.Attempt));
            Assert.Equal(Topic, d.Header(RetryTopicHeaders.OriginalTopic));
            Assert.Equal(Options.RetryTopics.TopicFor(Topic, 2), d.Header(DeadLetterHeaders.SourceTopic));
        });

        // Nothing is left behind in any stage: every offset of every topic is committed.
        Assert.Equal(_count, _kafka.Committed(Options.GroupId, Topic, 2).Values.Sum());
        Assert.Equal(Enumerable.Range(0, _count).Count(i => FailuresOf(i) >= 1), _kafka.Committed(Options.GroupId, Options.RetryTopics.TopicFor(Topic, 1), 2).Values.Sum());
        Assert.Equal(Enumerable.Range(0, _count).Count(i => FailuresOf(i) >= 2), _kafka.Committed(Options.GroupId, Options.RetryTopics.TopicFor(Topic, 2), 2).Values.Sum());
    }
}
