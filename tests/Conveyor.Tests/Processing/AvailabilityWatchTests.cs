using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

public class AvailabilityWatchTests
{
    private static readonly DateTime Start = new(2026, 12, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void Nothing_is_asked_before_the_timeout()
    {
        var asked = 0;
        var watch = Watch(failWhenUnavailable: false, (_, _, _) => { asked++; return "x"; }, out _);

        Assert.Null(watch.Check(Start));
        Assert.Null(watch.Check(Start + TimeSpan.FromSeconds(9)));
        Assert.Equal(0, asked);
    }

    [Fact]
    public void After_the_timeout_the_problem_is_reported_with_the_clients_last_error_and_the_run_goes_on_by_default()
    {
        Error? seen = null;
        var watch = Watch(failWhenUnavailable: false, (_, _, error) => { seen = error; return "cannot reach the cluster"; }, out var observer);
        watch.Noted(new Error(ErrorCode.Local_Transport, "broker:9092/1: Connection timed out"));

        var stop = CheckUntilAnswered(watch, Start + TimeSpan.FromSeconds(10));

        Assert.Null(stop);
        Assert.Equal(["cannot reach the cluster"], observer.Problems);
        Assert.Equal("cannot reach the cluster", watch.Problem);
        Assert.Equal(ErrorCode.Local_Transport, seen?.Code);
    }

    [Fact]
    public void Every_broker_down_before_the_start_is_reported_at_the_next_poll_with_the_transport_error_and_stops_when_asked()
    {
        var watch = Watch(failWhenUnavailable: true, (_, _, _) => throw new InvalidOperationException("not asked"), out var observer);
        watch.Noted(new Error(ErrorCode.Local_Transport, "127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused"));
        watch.Noted(new Error(ErrorCode.Local_AllBrokersDown, "1/1 brokers are down"));

        var stop = watch.Check(Start + TimeSpan.FromMilliseconds(100));

        Assert.Equal("cannot reach the cluster at 127.0.0.1:1: every broker is down (127.0.0.1:1/bootstrap: Connect to ipv4#127.0.0.1:1 failed: Connection refused)", stop);
        Assert.Equal([stop!], observer.Problems);
        Assert.False(watch.Diagnosing);
    }

    [Fact]
    public void With_FailWhenUnavailable_the_problem_stops_the_poll_loop()
    {
        var watch = Watch(failWhenUnavailable: true, (_, topics, _) => $"topic '{topics[0]}' does not exist", out var observer);

        var stop = CheckUntilAnswered(watch, Start + TimeSpan.FromSeconds(10));

        Assert.Equal("topic 'orders' does not exist", stop);
        Assert.Single(observer.Problems);
    }

    [Fact]
    public void A_member_whose_cluster_and_topics_are_fine_is_not_reported()
    {
        var asked = 0;
        var watch = Watch(failWhenUnavailable: true, (_, topics, _) => { asked++; Assert.Equal(["orders"], topics); return null; }, out var observer);

        Assert.Null(CheckUntilAnswered(watch, Start + TimeSpan.FromSeconds(10)));
        Assert.Equal(1, asked); // the cluster was asked: the silence is its answer, not a look never made
        Assert.Empty(observer.Problems);
        Assert.Null(watch.Problem);
    }

    [Fact]
    public void Once_partitions_are_assigned_nothing_is_asked()
    {
        var asked = 0;
        var watch = Watch(failWhenUnavailable: true, (_, _, _) => { asked++; return "x"; }, out _);
        watch.Assigned(0); // an empty assignment proves nothing
        watch.Check(Start);
        watch.Assigned(2);

        Assert.Null(watch.Check(Start + TimeSpan.FromMinutes(5)));
        Assert.Equal(0, asked);
    }

    [Fact]
    public void A_diagnosis_that_throws_is_not_a_problem_and_does_not_reach_the_poll_loop()
    {
        var asked = 0;
        var watch = Watch(failWhenUnavailable: true, (_, _, _) => { asked++; throw new InvalidOperationException("no client"); }, out var observer);

        Assert.Null(CheckUntilAnswered(watch, Start + TimeSpan.FromSeconds(10)));
        Assert.Equal(1, asked);
        Assert.Empty(observer.Problems);
        Assert.Null(watch.Problem);

        // The watch goes on: it asks again one timeout after the failed answer was taken in.
        Assert.Null(CheckUntilAnswered(watch, Start + TimeSpan.FromSeconds(20)));
        Assert.Equal(2, asked);
    }

    [Fact]
    public async Task The_failure_topics_are_looked_up_on_a_thread_of_their_own_not_one_the_workers_need()
    {
        // The look-up blocks until the cluster answers (up to 5 s). On the thread pool it held one
        // of the pool's few threads at the start, and the first handlers waited for the pool to grow.
        bool? onPool = null;
        var observer = new ProblemObserver();
        var options = new ProcessorOptions { GroupId = "g", Topics = ["orders"], OnFailure = FailureAction.DeadLetter };
        var watch = new AvailabilityWatch(new ConsumerConfig { BootstrapServers = "127.0.0.1:1" }, options, observer, findMissing: (_, topics) =>
        {
            onPool = Thread.CurrentThread.IsThreadPoolThread;
            return topics;
        });

        watch.Assigned(2);
        await watch.FailureTopicsLookUp!.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.False(onPool, "the look-up ran on a thread-pool thread");
        Assert.Equal([options.DeadLetterTopicFor("orders")], observer.MissingFailureTopics);
    }

    [Fact]
    public void The_diagnosis_runs_on_a_thread_of_its_own_not_one_the_workers_need()
    {
        bool? onPool = null;
        var watch = Watch(failWhenUnavailable: false, (_, _, _) => { onPool = Thread.CurrentThread.IsThreadPoolThread; return null; }, out _);

        CheckUntilAnswered(watch, Start + TimeSpan.FromSeconds(10));

        Assert.False(onPool, "the diagnosis ran on a thread-pool thread");
    }

    private static AvailabilityWatch Watch(bool failWhenUnavailable, Func<ConsumerConfig, IReadOnlyList<string>, Error?, string?> diagnose, out ProblemObserver observer)
    {
        observer = new ProblemObserver();
        var options = new ProcessorOptions
        {
            GroupId = "g",
            Topics = ["orders"],
            UnavailableTimeout = TimeSpan.FromSeconds(10),
            FailWhenUnavailable = failWhenUnavailable,
        };
        var watch = new AvailabilityWatch(new ConsumerConfig { BootstrapServers = "127.0.0.1:1" }, options, observer, diagnose);
        watch.Check(Start);
        return watch;
    }

    /// <summary>
    /// Checks as the poll loop does, waits for the diagnosis it started (on a thread of its own) and
    /// checks again to take its answer in; fails the test if the diagnosis does not end in time.
    /// </summary>
    private static string? CheckUntilAnswered(AvailabilityWatch watch, DateTime now)
    {
        var stop = watch.Check(now);
        var diagnosis = watch.Diagnosis;
        Assert.NotNull(diagnosis);
        Assert.True(((IAsyncResult)diagnosis).AsyncWaitHandle.WaitOne(TimeSpan.FromSeconds(10)), "the diagnosis did not end within 10 s");
        stop = watch.Check(now) ?? stop;
        Assert.False(watch.Diagnosing, "the watch did not take the diagnosis's answer in");
        return stop;
    }

    private sealed class ProblemObserver : IProcessorObserver
    {
        public List<string> Problems { get; } = [];

        public List<string> MissingFailureTopics { get; } = [];

        public void OnUnavailable(string problem) => Problems.Add(problem);

        public void OnFailureTopicsMissing(IReadOnlyList<string> topics) => MissingFailureTopics.AddRange(topics);
    }
}
