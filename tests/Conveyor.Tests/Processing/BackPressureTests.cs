using static Conveyor.Processing.Engine.BackPressure;

namespace Conveyor.Tests.Processing;

public class BackPressureTests
{
    private const int Limit = 1_000;

    [Theory]
    [InlineData(1_000, true, nameof(Decision.Pause))] // past its limit and stuck: a slow or blocked key
    [InlineData(5_000, false, nameof(Decision.Keep))] // past its limit but moving: its prefetch is kept
    [InlineData(999, true, nameof(Decision.Keep))] // stuck but under its limit
    public void A_running_partition_is_paused_for_its_own_count_only_when_it_is_stuck(int buffered, bool stuck, string expected) =>
        Assert.Equal(expected, Name(Decide(new Partition(Paused: false, buffered, stuck, Held: false), Limit, allPaused: false, relaxed: false)));

    [Theory]
    [InlineData(10_000, 6, 1_000)] // six partitions can each hold their limit: it binds
    [InlineData(40, 4, 10)] // four partitions, a buffer smaller than one partition's limit
    [InlineData(2_000, 4, 500)] // a quarter each
    [InlineData(10_000, 1_000, 1_000)] // never below a tenth of the total: a thousand partitions are not paused for holding 10 each
    [InlineData(5, 8, 1)] // never below one message
    public void A_partitions_share_is_its_limit_or_its_part_of_the_total_whichever_is_smaller(int maxMessages, int partitions, int expected) =>
        Assert.Equal(expected, Share(buffered: 0, bufferedBytes: 0, maxMessages, maxBytes: long.MaxValue, partitions, Limit));

    [Fact]
    public void A_partitions_share_counts_the_total_in_messages_of_the_buffers_mean_size_when_the_bytes_cap_binds()
    {
        // 100 messages of 1 KiB in a 400 KiB cap: the buffer holds 400 such messages, not 10,000.
        Assert.Equal(100, Share(buffered: 100, bufferedBytes: 100 * 1024, maxMessages: 10_000, maxBytes: 400 * 1024, partitions: 4, Limit));
    }

    [Fact]
    public void A_held_partition_is_paused_whatever_its_buffer_and_never_resumed_while_held()
    {
        Assert.Equal(Decision.Pause, Decide(new Partition(false, 0, false, Held: true), Limit, allPaused: false, relaxed: true));
        Assert.Equal(Decision.Keep, Decide(new Partition(true, 0, false, Held: true), Limit, allPaused: false, relaxed: true));
    }

    [Fact]
    public void A_full_total_pauses_every_partition_and_resumes_none()
    {
        Assert.Equal(Decision.Pause, Decide(new Partition(false, 0, false, false), Limit, allPaused: true, relaxed: false));
        Assert.Equal(Decision.Keep, Decide(new Partition(true, 0, false, false), Limit, allPaused: true, relaxed: true));
    }

    [Theory]
    [InlineData(true, nameof(Decision.Keep))]
    [InlineData(false, nameof(Decision.Resume))]
    public void A_relaxed_buffer_resumes_no_partition_that_is_still_full_and_stuck(bool stuck, string expected)
    {
        // Resuming it would pause it again at the next look: a pause and a resume on every poll.
        var partition = new Partition(Paused: true, Buffered: Limit, stuck, Held: false);
        Assert.Equal(expected, Name(Decide(partition, Limit, allPaused: false, relaxed: true)));
        if (expected == nameof(Decision.Resume))
        {
            Assert.Equal(Decision.Keep, Decide(partition with { Paused = false }, Limit, allPaused: false, relaxed: true));
        }
    }

    [Theory]
    [InlineData(500, false, nameof(Decision.Resume))] // down to half its limit
    [InlineData(501, false, nameof(Decision.Keep))]
    [InlineData(900, true, nameof(Decision.Resume))] // the whole buffer is a quarter full
    public void A_paused_partition_resumes_at_half_its_limit_or_when_the_whole_buffer_is_relaxed(int buffered, bool relaxed, string expected) =>
        Assert.Equal(expected, Name(Decide(new Partition(Paused: true, buffered, Stuck: true, Held: false), Limit, allPaused: false, relaxed)));

    [Theory]
    [InlineData(650, 650, nameof(Decision.Resume))] // still holds what its handlers get through before a refetch comes
    [InlineData(651, 650, nameof(Decision.Keep))]
    [InlineData(500, 0, nameof(Decision.Resume))] // half its limit still resumes it when nothing is asked ahead
    public void A_paused_partition_resumes_while_it_still_holds_what_its_handlers_get_through_before_its_messages_come_back(int buffered, int resumeAhead, string expected) =>
        Assert.Equal(expected, Name(Decide(new Partition(Paused: true, buffered, Stuck: false, Held: false), Limit, allPaused: false, relaxed: false, resumeAhead)));

    [Fact]
    public void A_partition_that_resumes_early_is_not_resumed_while_held_or_while_every_partition_is_paused()
    {
        Assert.Equal(Decision.Keep, Decide(new Partition(Paused: true, 100, Stuck: false, Held: true), Limit, allPaused: false, relaxed: false, resumeAhead: 750));
        Assert.Equal(Decision.Keep, Decide(new Partition(Paused: true, 100, Stuck: false, Held: false), Limit, allPaused: true, relaxed: false, resumeAhead: 750));
    }

    [Theory]
    [InlineData(3_900.0, 6, 1_000, 650)] // 1 ms handlers on 16 workers, six partitions in turn, a refetch of up to a second
    [InlineData(3_900.0, 6, 250, 163)] // quick refetches: resumed later
    [InlineData(3_900.0, 1, 1_000, 750)] // never past three quarters of its share: it would resume at the look after its pause
    [InlineData(200_000.0, 6, 1_000, 750)]
    [InlineData(null, 6, 1_000, 0)] // the handlers have not shown their pace: half its share, as before
    public void A_partition_resumes_ahead_by_its_part_of_the_handlers_pace_over_the_refetch_delay(double? perSecond, int busy, int delayMs, int expected) =>
        Assert.Equal(expected, ResumeAhead(perSecond, busy, TimeSpan.FromMilliseconds(delayMs), Limit));

    [Theory]
    [InlineData(5, 0, 1, 2, true)] // one worker, busy with the other partition: it waits its turn
    [InlineData(5, 7, 16, 2, true)] // under its half of 16 workers
    [InlineData(5, 8, 16, 2, false)] // runs its share: its own handlers hold it back
    [InlineData(196, 4, 4, 1, false)] // alone, every worker runs its messages
    [InlineData(0, 0, 16, 2, false)] // nothing ready: its messages wait behind their lanes
    public void A_partition_waits_its_turn_only_with_ready_messages_and_fewer_than_its_share_of_workers(int waiting, int running, int workers, int busy, bool expected) =>
        Assert.Equal(expected, WaitsItsTurn(waiting, running, workers, busy));

    [Theory]
    [InlineData(1_000, true, true)]
    [InlineData(999, true, false)] // within its limit: it keeps its prefetch
    [InlineData(5_000, false, false)] // nobody waits behind it
    public void A_partition_crowds_out_others_only_past_its_limit_while_another_starves(int buffered, bool anotherStarves, bool expected) =>
        Assert.Equal(expected, Crowds(buffered, Limit, anotherStarves));

    private static readonly TimeSpan Patience = TimeSpan.FromMilliseconds(500);

    [Theory]
    [InlineData(2_001, 4_000.0, true)] // 1 ms handlers, 16 workers: half a second's work and more is buffered
    [InlineData(2_000, 4_000.0, false)]
    [InlineData(10_000, 200_000.0, false)] // no-op handlers: a full buffer is gone in 50 ms
    [InlineData(10_000, null, false)] // the handlers have not shown their pace yet
    public void The_buffer_is_pressed_when_the_handlers_need_longer_than_the_patience_to_get_through_it(int buffered, double? perSecond, bool expected) =>
        Assert.Equal(expected, Pressed(buffered, perSecond, Patience));

    [Theory]
    [InlineData(150, 9_500, true)] // 1 ms handlers at about 3,750 a second: 9,500 left need 2.5 s
    [InlineData(8_000, 2_000, false)] // no-op handlers: what is left goes in 10 ms
    [InlineData(0, 10_000, false)] // nothing handled yet (workers starting): tells nothing, the wait goes on
    public void A_slice_of_the_wait_for_room_shows_the_buffer_pressed_only_by_what_the_handlers_got_through_in_it(int drained, int left, bool expected) =>
        Assert.Equal(expected, ShownPressed(drained, TimeSpan.FromMilliseconds(40), left, Patience));

    [Fact]
    public void A_hungry_partition_starves_at_once_while_the_buffer_is_pressed_and_after_the_patience_otherwise()
    {
        Assert.True(Starves(TimeSpan.Zero, Patience, pressed: true));
        Assert.False(Starves(TimeSpan.FromMilliseconds(499), Patience, pressed: false));
        Assert.True(Starves(Patience, Patience, pressed: false));
    }

    [Theory]
    [InlineData(900, 2, true, true)] // pressed: it needs room when its turn comes, whatever it holds
    [InlineData(5_000, 0, true, true)]
    [InlineData(1, 3, true, false)] // pressed, but it runs its share of the workers: it is served (or held by its own handlers)
    [InlineData(900, 0, false, false)] // not pressed: only under half its limit
    [InlineData(499, 3, false, true)]
    public void While_the_buffer_is_pressed_a_partition_with_messages_to_read_and_under_its_share_of_workers_waits_for_room(int buffered, int running, bool pressed, bool expected) =>
        Assert.Equal(expected, Hungry(buffered, running, share: 3, Limit, pressed));

    private static string Name(Decision decision) => decision.ToString();

    [Fact]
    public void The_total_limits_count_messages_and_bytes_alike()
    {
        Assert.True(TotalFull(10_000, 0, 10_000, 1_000_000));
        Assert.True(TotalFull(0, 1_000_000, 10_000, 1_000_000));
        Assert.False(TotalFull(9_999, 999_999, 10_000, 1_000_000));
        Assert.True(TotalDrained(5_000, 500_000, 10_000, 1_000_000));
        Assert.False(TotalDrained(5_000, 500_001, 10_000, 1_000_000));
        Assert.True(Relaxed(2_500, 250_000, 10_000, 1_000_000));
        Assert.False(Relaxed(2_501, 0, 10_000, 1_000_000));
    }

    [Theory]
    [InlineData(10_000, 500, 9_500)] // a batch of the feeder's
    [InlineData(1_000, 500, 900)] // at most a tenth of the buffer
    [InlineData(5, 500, 4)] // at least one message
    public void Room_for_a_batch_in_a_full_buffer_is_at_most_a_tenth_of_it(int maxMessages, int batch, int level)
    {
        var room = RoomFor(maxMessages, 64L * 1024 * 1024, batch);
        Assert.Equal(level, room.Messages);
        Assert.Equal(64L * 1024 * 1024 - (64L * 1024 * 1024 / maxMessages * (maxMessages - level)), room.Bytes);
    }
}
