using Conveyor.Processing;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>The harness itself: how a run ended is never swallowed.</summary>
public sealed class EngineHarnessTests
{
    [Fact]
    public async Task A_run_that_ended_with_an_exception_fails_the_test_that_did_not_look_at_it()
    {
        var engine = new EngineHarness(Defaults() with { OnFailure = FailureAction.StopProcessor, Retry = new RetryOptions { MaxAttempts = 1 } });
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        engine.FailOnce(P0, 0);
        await consumer.GroupAssigns(P0).Returned;
        await consumer.WaitUntilAsync(() => consumer.Closed); // the processor stopped itself

        await Assert.ThrowsAsync<ProcessorStoppedException>(async () => await engine.DisposeAsync());
    }

    [Fact]
    public async Task A_run_whose_end_the_test_judged_is_not_judged_again()
    {
        var engine = new EngineHarness(Defaults() with { OnFailure = FailureAction.StopProcessor, Retry = new RetryOptions { MaxAttempts = 1 } });
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        engine.FailOnce(P0, 0);
        await consumer.GroupAssigns(P0).Returned;

        await Assert.ThrowsAsync<ProcessorStoppedException>(() => engine.Running.WaitAsync(TimeSpan.FromSeconds(15)));
        await engine.DisposeAsync();
    }

    [Fact]
    public async Task The_failure_topics_are_looked_up_at_the_first_assignment_through_the_harness_not_a_client_of_fake_9092()
    {
        await using var engine = new EngineHarness();
        var consumer = await engine.StartAsync();

        await consumer.GroupAssigns(P0).Returned;

        Assert.Equal([engine.Options.DeadLetterTopicFor("orders")], await engine.FailureTopicsLookedUp);
    }

    [Fact]
    public async Task A_clean_run_disposes_quietly()
    {
        var engine = new EngineHarness();
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        await consumer.GroupAssigns(P0).Returned;
        await engine.Finished(P0, 0);

        await engine.DisposeAsync();
    }
}
