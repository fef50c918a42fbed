using Conveyor.Processing.Offsets;
using FsCheck;
using FsCheck.Fluent;

namespace Conveyor.Tests.Processing;

public class PartitionOffsetTrackerTests
{
    [Fact]
    public void Another_groups_message_is_passed_only_once_every_message_before_it_is_finished()
    {
        var tracker = new PartitionOffsetTracker();
        tracker.Track(4);
        tracker.PassUntracked(5);
        Assert.Equal(4, tracker.Committable);

        tracker.Complete(4);
        Assert.Equal(6, tracker.Committable);

        // Passed after a later message was tracked (fetched in the same batch): a gap, nothing moves past 7.
        tracker.Track(7);
        tracker.PassUntracked(6);
        Assert.Equal(7, tracker.Committable);
        tracker.Complete(7);
        Assert.Equal(8, tracker.Committable);
    }

    [Fact]
    public void Nothing_is_committable_before_anything_is_tracked()
    {
        Assert.Null(new PartitionOffsetTracker().Committable);
    }

    [Fact]
    public void Commit_waits_for_the_lowest_unfinished_offset()
    {
        var tracker = new PartitionOffsetTracker();
        foreach (var offset in new long[] { 10, 11, 12, 13 })
        {
            tracker.Track(offset);
        }

        Assert.False(tracker.Complete(12));
        Assert.False(tracker.Complete(13));
        Assert.Equal(10, tracker.Committable);

        Assert.True(tracker.Complete(10));
        Assert.Equal(11, tracker.Committable);

        Assert.True(tracker.Complete(11));
        Assert.Equal(14, tracker.Committable);
        Assert.Equal(0, tracker.Pending);
    }

    [Fact]
    public void Gaps_in_the_offsets_are_skipped()
    {
        var tracker = new PartitionOffsetTracker();
        tracker.Track(5);
        tracker.Track(9);

        tracker.Complete(5);

        Assert.Equal(9, tracker.Committable);
    }

    [Fact]
    public void Offsets_must_increase()
    {
        var tracker = new PartitionOffsetTracker();
        tracker.Track(5);

        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Track(5));
        Assert.Throws<ArgumentOutOfRangeException>(() => tracker.Track(4));
    }

    [Fact]
    public void Completing_an_offset_that_is_not_pending_is_a_bug_and_says_so()
    {
        var tracker = new PartitionOffsetTracker();
        tracker.Track(1);
        tracker.Complete(1);

        Assert.Throws<InvalidOperationException>(() => tracker.Complete(1));
        Assert.Throws<InvalidOperationException>(() => tracker.Complete(7));
    }

    [Fact]
    public void After_a_reset_tracking_starts_over_at_any_offset()
    {
        var tracker = new PartitionOffsetTracker();
        tracker.Track(100);
        tracker.Reset();

        tracker.Track(3);

        Assert.Equal(3, tracker.Committable);
        Assert.Equal(1, tracker.Pending);
    }

    [Fact]
    public void Commit_never_passes_an_unfinished_offset_whatever_the_completion_order()
    {
        var scenarios =
            from start in Gen.Choose(0, 1_000_000)
            from gaps in Gen.ListOf(Gen.Choose(1, 4)).Where(g => g.Count > 0)
            let offsets = Offsets(start, gaps)
            from order in Gen.Shuffle(offsets)
            from trackAhead in Gen.Choose(0, offsets.Length)
            select (offsets, order, trackAhead);

        Prop.ForAll(scenarios.ToArbitrary(), scenario =>
        {
            var (offsets, order, trackAhead) = scenario;
            var tracker = new PartitionOffsetTracker();
            var unfinished = new SortedSet<long>();
            var tracked = 0;

            void TrackUpTo(int count)
            {
                for (; tracked < count; tracked++)
                {
                    tracker.Track(offsets[tracked]);
                    unfinished.Add(offsets[tracked]);
                }
            }

            // Tracking runs ahead of completion by a random margin, as a poll loop does.
            TrackUpTo(trackAhead);
            foreach (var offset in order)
            {
                TrackUpTo(Array.IndexOf(offsets, offset) + 1);
                tracker.Complete(offset);
                unfinished.Remove(offset);

                var expected = unfinished.Count > 0 ? unfinished.Min : offsets[tracked - 1] + 1;
                if (tracker.Committable != expected)
                {
                    return false;
                }
            }

            return tracker.Committable == offsets[^1] + 1 && tracker.Pending == 0;
        }).QuickCheckThrowOnFailure();
    }

    private static long[] Offsets(int start, IEnumerable<int> gaps)
    {
        var offsets = new List<long>();
        long offset = start;
        foreach (var gap in gaps)
        {
            offsets.Add(offset);
            offset += gap;
        }

        return [.. offsets];
    }
}
