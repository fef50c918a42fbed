using System.Globalization;
using static Conveyor.Tests.Processing.Engine.EngineHarness;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// Watermark commits (completions not persisted): what a partition finished above its lowest
/// unfinished message is handed out again after a rebalance, so the engine bounds it by the
/// partition's buffer limit and commits as soon as the head moved half of it.
/// </summary>
public sealed class WatermarkRunAheadTests : IAsyncLifetime
{
    private const int Limit = 10;

    private readonly EngineHarness _engine = new(Defaults() with { PersistCompletions = false, MaxBufferedMessagesPerPartition = Limit });

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task A_partition_whose_head_waits_stops_taking_messages_past_the_limit_and_takes_them_again_once_it_finishes()
    {
        var consumer = await _engine.StartAsync();
        Append(consumer, 12); // one fetch: the head and 11 messages of other keys behind it
        _engine.Hold(P0, 0);
        await consumer.GroupAssigns(P0, P1).Returned;
        await _engine.Finished(P0, 11);

        // Only the head is unfinished (nothing for back-pressure), but 12 offsets ran ahead of it.
        await consumer.WaitUntilAsync(() => consumer.IsPaused(P0));
        Append(consumer, 20);
        consumer.Append(P1, "clock"); // fetched after P0's new messages were there to fetch
        await _engine.Finished(P1, 0);
        Assert.Equal(12, consumer.Position(P0).Value);

        _engine.Release(P0, 0);
        await _engine.Finished(P0, 31);
        await consumer.WaitUntilAsync(() => !consumer.IsPaused(P0)); // nothing unfinished: nothing holds it
    }

    [Fact]
    public async Task The_commit_does_not_wait_for_the_interval_once_the_head_moved_half_the_limit()
    {
        var consumer = await _engine.StartAsync();
        Append(consumer, Limit / 2);
        await consumer.GroupAssigns(P0).Returned;

        // The interval is 10 minutes: only the head's progress can commit this now.
        await consumer.WaitUntilAsync(() => consumer.CommittedOffset(P0) == Limit / 2);
    }

    [Fact]
    public async Task A_head_that_moved_less_than_half_the_limit_waits_for_the_interval()
    {
        var consumer = await _engine.StartAsync();
        Append(consumer, (Limit / 2) - 1);
        await consumer.GroupAssigns(P0).Returned;
        await _engine.Finished(P0, (Limit / 2) - 2);

        await consumer.GroupRevokes(P0).Returned;

        Assert.Single(consumer.Commits); // the revoke's, none before it
    }

    private static void Append(FakeConsumer consumer, int count)
    {
        for (var i = 0; i < count; i++)
        {
            consumer.Append(P0, $"k{Guid.NewGuid():N}", i.ToString(CultureInfo.InvariantCulture));
        }
    }
}
