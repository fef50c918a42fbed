using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>Operator pauses in the engine, on a fake consumer: apart from flow control, through assignments, and resumed without loss.</summary>
public sealed class OperatorHoldsTests
{
    private volatile bool _p0Paused = true;

    [Fact]
    public async Task A_partition_assigned_while_paused_by_an_operator_hands_no_message_to_a_handler_until_resumed()
    {
        await using var engine = new EngineHarness { PausedByOperator = p => _p0Paused && p == P0 };
        var consumer = await engine.StartAsync();
        consumer.Append(P0, "a");
        consumer.Append(P1, "b");

        // The fake hands out the messages in the same Consume call as the assignment: the first
        // turn that could release a paused partition comes after they were fetched.
        await consumer.GroupAssigns(P0, P1).Returned;
        await engine.Finished(P1, 0);
        await consumer.WaitUntilAsync(() => consumer.IsPaused(P0));
        Assert.False(engine.HasStarted(P0, 0));
        Assert.Empty(engine.Observer.BackPressure); // an operator's pause is no back-pressure

        _p0Paused = false;
        await engine.Finished(P0, 0);
        Assert.False(consumer.IsPaused(P0));
    }

    [Fact]
    public async Task An_owned_partition_paused_by_an_operator_finishes_its_running_message_commits_it_and_takes_nothing_more()
    {
        _p0Paused = false;
        var pauseSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var engine = new EngineHarness
        {
            PausedByOperator = p =>
            {
                var paused = _p0Paused && p == P0;
                if (paused)
                {
                    pauseSeen.TrySetResult();
                }

                return paused;
            },
        };
        var consumer = await engine.StartAsync();
        await consumer.GroupAssigns(P0).Returned;
        consumer.Append(P0, "a");
        engine.Hold(P0, 0);
        await engine.Started(P0, 0);

        // The poll thread sees the pause while offset 0 runs: it waits for it, commits it, pauses the partition.
        _p0Paused = true;
        await pauseSeen.Task.WaitAsync(Patience);
        engine.Release(P0, 0);
        await consumer.WaitUntilAsync(() => consumer.IsPaused(P0) && consumer.CommittedOffset(P0) == 1);

        // Paused: a message written now is not taken over the next turns, whatever flow control decides.
        consumer.Append(P0, "b");
        for (var turn = 0; turn < 3; turn++)
        {
            var before = engine.Status.LastPoll;
            var deadline = DateTime.UtcNow + Patience;
            while (engine.Status.LastPoll == before)
            {
                Assert.True(DateTime.UtcNow < deadline, "the poll loop stopped turning");
                await Task.Delay(5); // LastPoll is a snapshot field with no event to await
            }
        }

        Assert.False(engine.HasStarted(P0, 1));
        Assert.True(consumer.IsPaused(P0));
        Assert.Empty(engine.Observer.BackPressure);

        _p0Paused = false;
        await engine.Finished(P0, 1); // from the committed offset: nothing lost
        Assert.Equal(1, engine.StartOrder.Count(s => s.Message.Offset == 0)); // and nothing handled twice
    }
}
