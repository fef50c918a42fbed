using Conveyor.Processing;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// An asynchronous commit blocks its thread until the coordinator answers: while the group has
/// none, librdkafka holds the commit until one is found (up to the session timeout), and a slow
/// coordinator holds it up to the socket timeout. On the thread pool that thread was one of the few
/// the workers' wake-ups need (two on two cores at the start), so handlers waited for the pool to grow.
/// </summary>
public sealed class AsynchronousCommitThreadTests
{
    [Fact]
    public async Task Asynchronous_commits_run_on_a_thread_of_their_own_not_one_the_workers_need()
    {
        await using var engine = new EngineHarness(Defaults() with { CommitMode = OffsetCommitMode.Asynchronous });
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0).Returned;
        await engine.Finished(P0, 0);

        await consumer.GroupRevokes(P0).Returned; // commits what is finished through the asynchronous committer, and waits for it

        var commit = Assert.Single(consumer.Commits);
        Assert.Equal([new Confluent.Kafka.TopicPartitionOffset(P0, 1)], commit.Offsets.Select(o => o.Offset));
        Assert.False(commit.OnThreadPool, "the asynchronous commit ran on a thread-pool thread");
    }
}
