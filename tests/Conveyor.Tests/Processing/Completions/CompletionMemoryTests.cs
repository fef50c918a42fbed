using Confluent.Kafka;
using Conveyor.Processing.Completions;
using FsCheck;
using FsCheck.Fluent;

namespace Conveyor.Tests.Processing.Completions;

/// <summary>What a member finished in a partition it gave up, recalled when the partition comes back.</summary>
public class CompletionMemoryTests
{
    private static readonly TopicPartition Partition = new("t", 0);

    [Fact]
    public void After_a_refused_commit_the_same_member_skips_what_it_finished_and_nothing_else()
    {
        var memory = new CompletionMemory(new ManualClock(DateTimeOffset.UnixEpoch));
        memory.Remember(Partition, first: 100, lowestUnfinished: 150, finishedAbove: [152, 160]);

        // The commit at 150 was refused: the group's committed offset is still 100.
        var map = memory.Recall(Partition, CompletionMap.Of(100, []))!;

        Assert.Equal(Enumerable.Range(100, 50).Select(o => (long)o).Concat([152, 160]), Finished(map, 90, 170));
        Assert.Equal(99, map.Committed);
    }

    [Fact]
    public void Progress_another_member_committed_meanwhile_is_kept_and_joined()
    {
        var memory = new CompletionMemory(new ManualClock(DateTimeOffset.UnixEpoch));
        memory.Remember(Partition, first: 100, lowestUnfinished: 150, finishedAbove: [210, 230]);

        // Another member took it, committed 200 with 205 finished above, and gave it back.
        var map = memory.Recall(Partition, CompletionMap.Of(200, [205]))!;

        Assert.Equal([205L, 210, 230], Finished(map, 0, 300));
        Assert.False(map.Contains(200)); // the committed offset itself is unfinished
    }

    [Fact]
    public void Offsets_below_the_first_one_this_member_saw_are_never_claimed()
    {
        var memory = new CompletionMemory(new ManualClock(DateTimeOffset.UnixEpoch));
        memory.Remember(Partition, first: 100, lowestUnfinished: 120, finishedAbove: []);

        // The committed offset went back below where this member started (e.g. a reset).
        var map = memory.Recall(Partition, CompletionMap.Of(50, []))!;

        Assert.Equal(Enumerable.Range(100, 20).Select(o => (long)o), Finished(map, 0, 200));
    }

    [Fact]
    public void Without_a_committed_offset_only_the_remembered_offsets_count()
    {
        var memory = new CompletionMemory(new ManualClock(DateTimeOffset.UnixEpoch));
        memory.Remember(Partition, first: 0, lowestUnfinished: 3, finishedAbove: [5]);

        var map = memory.Recall(Partition, restored: null)!;

        Assert.Equal([0L, 1, 2, 5], Finished(map, -5, 20));
    }

    [Fact]
    public void A_memory_is_recalled_once_and_expires()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var memory = new CompletionMemory(clock);
        var restored = CompletionMap.Of(10, [12]);
        memory.Remember(Partition, first: 10, lowestUnfinished: 11, finishedAbove: []);
        memory.Remember(new TopicPartition("t", 1), first: 10, lowestUnfinished: 11, finishedAbove: []);

        Assert.True(memory.Recall(Partition, restored)!.Contains(10));
        Assert.Same(restored, memory.Recall(Partition, restored)); // forgotten once recalled

        clock.Advance(CompletionMemory.KeepFor);
        Assert.Same(restored, memory.Recall(new TopicPartition("t", 1), restored));
        Assert.Equal(0, memory.Count);
    }

    [Fact]
    public void A_memory_lasts_by_the_engines_monotonic_clock_whatever_the_wall_clock_does()
    {
        var clock = new ManualClock(DateTimeOffset.UnixEpoch);
        var memory = new CompletionMemory(clock);
        memory.Remember(Partition, first: 10, lowestUnfinished: 11, finishedAbove: []);
        memory.Remember(new TopicPartition("t", 1), first: 10, lowestUnfinished: 11, finishedAbove: []);

        clock.Step(TimeSpan.FromHours(1)); // NTP sets the wall clock forward: no time passed
        Assert.True(memory.Recall(Partition, null)!.Contains(10));

        clock.Step(TimeSpan.FromHours(-2)); // and back: time still passes
        clock.Advance(CompletionMemory.KeepFor);
        Assert.Null(memory.Recall(new TopicPartition("t", 1), null));
    }

    [Fact]
    public void An_assignment_that_finished_nothing_leaves_no_memory()
    {
        var memory = new CompletionMemory(new ManualClock(DateTimeOffset.UnixEpoch));
        memory.Remember(Partition, first: 10, lowestUnfinished: 10, finishedAbove: []);
        memory.Remember(new TopicPartition("t", 1), first: -1, lowestUnfinished: 0, finishedAbove: []);

        Assert.Equal(0, memory.Count);
    }

    [Fact]
    public void A_union_holds_exactly_the_run_and_the_others_above_the_base()
    {
        var scenarios =
            from committed in Gen.Choose(-1, 200)
            from runFrom in Gen.Choose(-1, 400)
            from runLength in Gen.Choose(0, 300)
            from others in Gen.Choose(-1, 700).ArrayOf()
            select (Committed: (long)committed, RunFrom: (long)runFrom, RunTo: (long)runFrom + runLength, Others: others.Select(o => (long)o).ToArray());
        Prop.ForAll(scenarios.ToArbitrary(), s =>
        {
            var map = CompletionMap.Union(s.Committed, s.RunFrom, s.RunTo, s.Others);
            var expected = new SortedSet<long>(s.Others.Where(o => o > s.Committed));
            for (var o = Math.Max(s.RunFrom, s.Committed + 1); o < s.RunTo; o++)
            {
                expected.Add(o);
            }

            return Finished(map, -2, 1_100).SequenceEqual(expected) && map.Count == expected.Count && map.Last == (expected.Count == 0 ? -1 : expected.Max);
        }).QuickCheckThrowOnFailure();
    }

    private static List<long> Finished(CompletionMap map, long from, long to) =>
        [.. Enumerable.Range((int)from, (int)(to - from)).Select(o => (long)o).Where(map.Contains)];
}
