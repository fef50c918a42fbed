using Conveyor.Processing.Completions;
using Conveyor.Processing.Offsets;
using FsCheck;
using FsCheck.Fluent;

namespace Conveyor.Tests.Processing.Completions;

/// <summary>The offset tracker with offsets finished before the assignment (read from the commit metadata).</summary>
public class RestoredCompletionsTests
{
    [Fact]
    public void Restored_offsets_right_after_the_last_finished_one_are_committed_past()
    {
        var tracker = new PartitionOffsetTracker(CompletionMap.Of(10, [11, 12, 13, 15]));
        tracker.Track(10);
        tracker.Complete(10);

        Assert.Equal(14, tracker.Committable);
        Assert.Equal([15L], FinishedAbove(tracker));
    }

    [Fact]
    public void Restored_offsets_behind_an_unfinished_one_stay_in_the_map()
    {
        var tracker = new PartitionOffsetTracker(CompletionMap.Of(10, [11, 13]));
        tracker.Track(10);
        tracker.Track(12); // 11 was skipped by the poll loop
        tracker.Track(14);
        tracker.Complete(14);

        Assert.Equal(10, tracker.Committable);
        Assert.Equal([11L, 13, 14], FinishedAbove(tracker));

        tracker.Complete(10);
        Assert.Equal(12, tracker.Committable);
        Assert.Equal([13L, 14], FinishedAbove(tracker));
    }

    [Fact]
    public void When_every_message_fetched_was_restored_the_committable_offset_passes_them()
    {
        var tracker = new PartitionOffsetTracker(CompletionMap.Union(9, 10, 15, [17]));
        Assert.Null(tracker.Committable);

        foreach (var offset in new long[] { 10, 11, 12, 13, 14 })
        {
            tracker.PassRestored(offset);
        }

        Assert.Equal(15, tracker.Committable);
        Assert.Equal([17L], FinishedAbove(tracker));
    }

    [Fact]
    public void Passing_a_restored_offset_never_passes_a_pending_or_unrestored_one()
    {
        var tracker = new PartitionOffsetTracker(CompletionMap.Of(9, [11, 13]));
        tracker.Track(10);
        tracker.PassRestored(11);
        Assert.Equal(10, tracker.Committable); // 10 is still being handled

        tracker.PassRestored(12); // not restored: a message that was not finished before
        tracker.Complete(10);
        Assert.Equal(12, tracker.Committable);

        tracker.Track(12);
        tracker.PassRestored(11); // behind the last tracked: changes nothing
        tracker.Complete(12);
        Assert.Equal(14, tracker.Committable);
    }

    [Fact]
    public void A_reset_forgets_the_restored_offsets()
    {
        var tracker = new PartitionOffsetTracker(CompletionMap.Of(10, [11]));
        tracker.Reset();
        tracker.Track(10);
        tracker.Complete(10);

        Assert.Equal(11, tracker.Committable);
    }

    [Fact]
    public void Commit_and_map_together_always_name_exactly_the_finished_offsets()
    {
        // Offsets 0..n-1 above a committed offset: some finished before (restored, skipped), the
        // rest tracked in order and completed in any order. At every step the committable offset is
        // the lowest offset neither finished nor restored (at most the one after the last seen),
        // and the map holds exactly the finished and restored ones above it.
        var scenarios =
            from count in Gen.Choose(1, 200)
            from restored in Gen.ListOf(Gen.Elements(true, false), count)
            from order in Gen.Shuffle(Enumerable.Range(0, count).ToArray())
            select (count, restored: restored.ToArray(), order);

        Prop.ForAll(scenarios.ToArbitrary(), scenario =>
        {
            var (count, restored, order) = scenario;
            const long Committed = 1_000;
            var restoredOffsets = Enumerable.Range(1, count - 1).Where(i => restored[i]).Select(i => Committed + i).ToList();
            var tracker = new PartitionOffsetTracker(CompletionMap.Of(Committed, restoredOffsets));
            var finished = new HashSet<long>(restoredOffsets);
            for (var i = 0; i < count; i++)
            {
                if (!finished.Contains(Committed + i))
                {
                    tracker.Track(Committed + i);
                }
            }

            foreach (var i in order.Where(i => !restoredOffsets.Contains(Committed + i)))
            {
                tracker.Complete(Committed + i);
                finished.Add(Committed + i);

                var expected = Committed;
                while (finished.Contains(expected))
                {
                    expected++;
                }

                var above = finished.Where(f => f > expected).Order().ToList();
                if (tracker.Committable != expected || !FinishedAbove(tracker).SequenceEqual(above))
                {
                    return false;
                }
            }

            return tracker.Committable == Committed + count && FinishedAbove(tracker).Count == 0;
        }).QuickCheckThrowOnFailure();
    }

    private static List<long> FinishedAbove(PartitionOffsetTracker tracker)
    {
        var finished = new List<long>();
        tracker.AddFinishedAboveCommittable(finished);
        return finished;
    }
}
