using System.Collections.Concurrent;
using System.Globalization;
using Conveyor.IntegrationTests.Support;
using Conveyor.Processing;
using Conveyor.Processing.RetryTopics;

namespace Conveyor.IntegrationTests.RetryTopics;

/// <summary><see cref="FailureAction.RetryTopics"/> on the embedded broker.</summary>
[Collection(EmbeddedKafkaCollection.Name)]
public class RetryTopicTests(EmbeddedKafkaFixture kafka)
{
    private static readonly TimeSpan[] Delays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)];

    [Fact]
    public async Task A_retry_chain_delivers_every_message_after_its_delays_or_to_the_dead_letter_topic_losing_nothing()
    {
        const int count = 60;
        var topic = kafka.CreateTopic(partitions: 2);
        var options = new ProcessorOptions
        {
            GroupId = Names.Unique("group"),
            Topics = [topic],
            OnFailure = FailureAction.RetryTopics,
            RetryTopics = new RetryTopicOptions { Delays = Delays },
            Retry = new RetryOptions { MaxAttempts = 1 },
            CommitInterval = TimeSpan.FromMilliseconds(200),
            MaxConcurrency = 4,
        };
        kafka.Cluster.CreateTopic(options.RetryTopics.TopicFor(topic, 1), 2);
        kafka.Cluster.CreateTopic(options.RetryTopics.TopicFor(topic, 2), 2);
        kafka.Cluster.CreateTopic(options.DeadLetterTopicFor(topic), 1);
        await KafkaTestClient.ProduceAsync(kafka.Cluster.BootstrapServers, topic, Enumerable.Range(0, count).Select(i => ((string?)$"k{i % 7}", i.ToString(CultureInfo.InvariantCulture))));

        // Ids that fail: every 3rd once (handled from retry 1), every 5th twice (from retry 2),
        // every 7th always (dead-lettered after retry 2); the rest succeed at once.
        static int FailuresOf(int id) => id % 7 == 3 ? int.MaxValue : id % 5 == 1 ? 2 : id % 3 == 2 ? 1 : 0;
        var expectedDeadLetters = Enumerable.Range(0, count).Where(i => FailuresOf(i) == int.MaxValue).ToList();
        var attempts = new ConcurrentDictionary<int, List<(string Topic, DateTime At)>>();
        var succeeded = new ConcurrentDictionary<int, string>();
        var observer = new RecordingObserver();
        await ProcessorRun.UntilAsync<string>(kafka.Cluster.BootstrapServers, options, observer, (message, _) =>
        {
            var id = int.Parse(message.Value, CultureInfo.InvariantCulture);
            var seen = attempts.GetOrAdd(id, _ => []);
            lock (seen)
            {
                seen.Add((message.Topic, DateTime.UtcNow));
                if (seen.Count <= FailuresOf(id))
                {
                    throw new InvalidOperationException($"attempt {seen.Count} of {id} fails");
                }
            }

            succeeded[id] = message.Topic;
            return ValueTask.CompletedTask;
        }, () => succeeded.Count + observer.DeadLettered.Count(d => d.DeadLetter.Topic == options.DeadLetterTopicFor(topic)) >= count);

        // Each id succeeded in the stage its failures lead to, or was dead-lettered after the last one.
        foreach (var id in Enumerable.Range(0, count).Except(expectedDeadLetters))
        {
            var stage = FailuresOf(id);
            Assert.Equal(stage == 0 ? topic : options.RetryTopics.TopicFor(topic, stage), succeeded[id]);
        }

        // Every retry waited at least its topic's delay after the failure before it.
        foreach (var (id, seen) in attempts)
        {
            for (var i = 1; i < seen.Count; i++)
            {
                var waited = seen[i].At - seen[i - 1].At;
                Assert.True(waited >= Delays[i - 1] - TimeSpan.FromMilliseconds(5), $"id {id}: attempt {i + 1} came {waited.TotalMilliseconds:0} ms after attempt {i}, before its {Delays[i - 1]} delay");
            }
        }

        // The dead-letter topic holds exactly the always-failing ids, with where they came from.
        var deadLetters = KafkaTestClient.ReadAll(kafka.Cluster.BootstrapServers, options.DeadLetterTopicFor(topic), expectedDeadLetters.Count, Timeouts.Flow);
        Assert.Equal(expectedDeadLetters, deadLetters.Select(d => int.Parse(d.Message.Value!, CultureInfo.InvariantCulture)).Order());
        Assert.All(deadLetters, d =>
        {
            Assert.Equal("2", d.Header(RetryTopicHeaders.Attempt));
            Assert.Equal(topic, d.Header(RetryTopicHeaders.OriginalTopic));
            Assert.Equal(options.RetryTopics.TopicFor(topic, 2), d.Header(DeadLetterHeaders.SourceTopic));
        });

        // Nothing is left behind in any stage: every offset of every topic is committed.
        Assert.Equal(count, kafka.Committed(options.GroupId, topic, 2).Values.Sum());
        var retried1 = Enumerable.Range(0, count).Count(i => FailuresOf(i) >= 1);
        var retried2 = Enumerable.Range(0, count).Count(i => FailuresOf(i) >= 2);
        Assert.Equal(retried1, kafka.Committed(options.GroupId, options.RetryTopics.TopicFor(topic, 1), 2).Values.Sum());
        Assert.Equal(retried2, kafka.Committed(options.GroupId, options.RetryTopics.TopicFor(topic, 2), 2).Values.Sum());
    }
}
