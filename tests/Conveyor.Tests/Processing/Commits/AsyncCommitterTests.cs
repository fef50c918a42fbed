using System.Collections.Concurrent;
using Confluent.Kafka;
using Conveyor.Processing.Commits;

namespace Conveyor.Tests.Processing.Commits;

public class AsyncCommitterTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TopicPartition P0 = new("t", 0);
    private static readonly TopicPartition P1 = new("t", 1);

    // A commit that throws what it is not meant to fails the test where it is noticed: the flush.
    private static void NoneExpected(Exception exception) => throw new InvalidOperationException("a commit failed unexpectedly", exception);

    /// <summary>A commit that records each call's first offset and throws unexpectedly on the first call (a bug in the commit path), then commits what it is given.</summary>
    private static Func<IReadOnlyList<OffsetCommit>, IReadOnlyList<OffsetCommit>> FirstCallThrows(ConcurrentQueue<long> sent)
    {
        var calls = 0;
        return offsets =>
        {
            sent.Enqueue(offsets[0].Offset);
            return Interlocked.Increment(ref calls) == 1 ? throw new NullReferenceException("a bug in the commit path") : offsets;
        };
    }

    [Fact]
    public void Request_returns_at_once_while_a_commit_is_in_flight_and_flush_waits_for_it()
    {
        using var release = new ManualResetEventSlim();
        var committed = new ConcurrentQueue<TopicPartitionOffset>();
        using var committer = new AsyncCommitter(offsets =>
        {
            release.Wait(Timeout);
            foreach (var offset in offsets)
            {
                committed.Enqueue(offset.ToTopicPartitionOffset());
            }

            return offsets;
        }, NoneExpected);

        committer.Request([new(P0, 5)]);
        Assert.False(committer.Flush(TimeSpan.FromMilliseconds(50)));
        Assert.Empty(committed);

        release.Set();
        Assert.True(committer.Flush(Timeout));
        Assert.Equal([new TopicPartitionOffset(P0, 5)], committed);
    }

    [Fact]
    public void Commits_run_on_a_thread_of_their_own_not_one_the_workers_need()
    {
        // A commit blocks until the coordinator answers (up to the session timeout while there is
        // none): on the thread pool it held one of the few threads the workers' wake-ups need.
        var onPool = new ConcurrentQueue<bool>();
        using var committer = new AsyncCommitter(offsets =>
        {
            onPool.Enqueue(Thread.CurrentThread.IsThreadPoolThread);
            return offsets;
        }, NoneExpected);

        committer.Request([new(P0, 5)]);
        Assert.True(committer.Flush(Timeout));
        committer.Request([new(P0, 6)]); // a second send, after the first one ended
        Assert.True(committer.Flush(Timeout));

        Assert.Equal([false, false], onPool);
    }

    [Fact]
    public void Every_send_runs_on_one_thread_which_ends_when_the_committer_is_disposed()
    {
        // A thread per send was a thread per commit: with CommitEveryMessages = 1, one per poll turn.
        var threads = new ConcurrentQueue<Thread>();
        using var committer = new AsyncCommitter(offsets =>
        {
            threads.Enqueue(Thread.CurrentThread);
            return offsets;
        }, NoneExpected);

        for (var offset = 1; offset <= 20; offset++)
        {
            committer.Request([new(P0, offset)]);
            Assert.True(committer.Flush(Timeout)); // each send done before the next: none merged
        }

        Assert.Equal(20, threads.Count);
        var thread = Assert.Single(threads.Distinct());
        committer.Dispose();
        Assert.True(thread.Join(Timeout), "the send thread outlived its committer");
    }

    [Fact]
    public void Commits_never_run_at_the_same_time_and_never_move_a_partition_backwards()
    {
        var sent = new ConcurrentQueue<TopicPartitionOffset>();
        var running = 0;
        var overlapped = false;
        using var committer = new AsyncCommitter(offsets =>
        {
            overlapped |= Interlocked.Increment(ref running) > 1;
            Thread.SpinWait(2_000);
            foreach (var offset in offsets)
            {
                sent.Enqueue(offset.ToTopicPartitionOffset());
            }

            Interlocked.Decrement(ref running);
            return offsets;
        }, NoneExpected);

        // Requests go up and down (as a re-requested or stale offset would): only higher ones are sent.
        var random = new Random(7);
        var highest = new Dictionary<TopicPartition, long> { [P0] = 0, [P1] = 0 };
        for (var i = 0; i < 5_000; i++)
        {
            var partition = random.Next(2) == 0 ? P0 : P1;
            var offset = random.Next(0, i + 2);
            highest[partition] = Math.Max(highest[partition], offset);
            committer.Request([new(partition, offset)]);
        }

        Assert.True(committer.Flush(Timeout));
        Assert.False(overlapped);
        foreach (var partition in new[] { P0, P1 })
        {
            var sequence = sent.Where(s => s.TopicPartition == partition).Select(s => s.Offset.Value).ToList();
            Assert.Equal(sequence.Order(), sequence);
            Assert.Equal(sequence.Distinct().Count(), sequence.Count);
            Assert.Equal(highest[partition], sequence[^1]);
        }
    }

    [Fact]
    public void An_offset_whose_commit_failed_is_sent_again_when_requested_again()
    {
        var attempts = new ConcurrentQueue<long>();
        var fail = true;
        using var committer = new AsyncCommitter(offsets =>
        {
            attempts.Enqueue(offsets[0].Offset);
            return fail ? [] : offsets;
        }, NoneExpected);

        committer.Request([new(P0, 10)]);
        Assert.True(committer.Flush(Timeout));
        fail = false;
        committer.Request([new(P0, 10)]);
        Assert.True(committer.Flush(Timeout));
        committer.Request([new(P0, 10)]); // now committed: not sent a third time
        Assert.True(committer.Flush(Timeout));

        Assert.Equal([10L, 10L], attempts);
    }

    [Fact]
    public void A_forgotten_partition_drops_its_pending_offsets()
    {
        using var release = new ManualResetEventSlim();
        using var inFlight = new ManualResetEventSlim();
        var sent = new ConcurrentQueue<TopicPartitionOffset>();
        using var committer = new AsyncCommitter(offsets =>
        {
            inFlight.Set();
            release.Wait(Timeout);
            foreach (var offset in offsets)
            {
                sent.Enqueue(offset.ToTopicPartitionOffset());
            }

            return offsets;
        }, NoneExpected);

        committer.Request([new(P1, 1)]);
        Assert.True(inFlight.Wait(Timeout)); // in flight, held (else both would go in one commit)
        committer.Request([new(P0, 3)]); // pending behind it
        committer.Forget([P0]);
        release.Set();

        Assert.True(committer.Flush(Timeout));
        Assert.Equal([new TopicPartitionOffset(P1, 1)], sent);
    }

    [Fact]
    public void The_same_offset_is_sent_again_only_with_new_metadata()
    {
        var sent = new ConcurrentQueue<OffsetCommit>();
        using var committer = new AsyncCommitter(offsets =>
        {
            foreach (var offset in offsets)
            {
                sent.Enqueue(offset);
            }

            return offsets;
        }, NoneExpected);

        committer.Request([new(P0, 10, "cv1b:a")]);
        Assert.True(committer.Flush(Timeout));
        committer.Request([new(P0, 10, "cv1b:a")]); // nothing new
        Assert.True(committer.Flush(Timeout));
        committer.Request([new(P0, 10, "cv1b:ab")]); // more finished above 10
        Assert.True(committer.Flush(Timeout));
        committer.Request([new(P0, 9, "cv1b:abc")]); // older offset: never
        Assert.True(committer.Flush(Timeout));

        Assert.Equal(["cv1b:a", "cv1b:ab"], sent.Select(s => s.Metadata));
    }

    [Fact]
    public void A_commit_that_throws_unexpectedly_is_reported_and_the_commits_after_it_are_still_sent()
    {
        var sent = new ConcurrentQueue<long>();
        var failures = new ConcurrentQueue<Exception>();
        using var committer = new AsyncCommitter(
            FirstCallThrows(sent),
            failures.Enqueue);

        committer.Request([new(P0, 10)]);
        Assert.True(committer.Flush(Timeout));
        committer.Request([new(P0, 10)]); // not committed: sent again, not dropped as in flight
        Assert.True(committer.Flush(Timeout));
        committer.Request([new(P0, 11)]);
        Assert.True(committer.Flush(Timeout));

        Assert.Equal([10L, 10L, 11L], sent);
        Assert.Equal("a bug in the commit path", Assert.Single(failures).Message);
    }

    [Fact]
    public void A_failure_that_escapes_the_drain_does_not_stop_later_commits()
    {
        // The report itself throws (an observer that throws): the drain ends with it, but does not
        // leave itself marked as running, which kept every later request from being sent.
        var sent = new ConcurrentQueue<long>();
        using var committer = new AsyncCommitter(
            FirstCallThrows(sent),
            e => throw new InvalidOperationException("the observer threw too", e));

        committer.Request([new(P0, 10)]);
        Assert.Throws<AggregateException>(() => committer.Flush(Timeout));
        committer.Request([new(P0, 11)]);
        Assert.True(committer.Flush(Timeout));

        Assert.Equal([10L, 11L], sent);
    }
}
