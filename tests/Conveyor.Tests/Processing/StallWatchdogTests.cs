using Confluent.Kafka;
using Conveyor.Processing;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

public class StallWatchdogTests
{
    private static readonly DateTime Start = new(2026, 12, 1, 12, 0, 0, DateTimeKind.Utc);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly StallRecorder _observer = new();
    private readonly FakePositions _positions = new();
    private readonly StallWatchdog _watchdog;
    private readonly PartitionState _partition = new(new TopicPartition("orders", 2)) { Poll = { IdleSince = Start } };

    public StallWatchdogTests()
    {
        _watchdog = new StallWatchdog(Timeout, _observer);
    }

    [Fact]
    public void A_partition_with_messages_to_read_that_delivers_nothing_for_the_timeout_is_reported_once()
    {
        _watchdog.Delivered(_partition, offset: 99, Start);
        _positions.LocalEnd = 500;

        Assert.Null(Check(Start + Timeout - TimeSpan.FromSeconds(1)));
        var stalled = Check(Start + Timeout);
        Check(Start + Timeout + TimeSpan.FromSeconds(5));

        Assert.Equal([_partition], stalled);
        var stall = Assert.Single(_observer.Stalls);
        Assert.Equal(new TopicPartitionOffset("orders", 2, 100), stall.Position);
        Assert.Equal(500, stall.End);
        Assert.Equal(Timeout, stall.Idle);
        Assert.Equal(0, _positions.BrokerQueries); // what the client knew locally was enough
    }

    [Fact]
    public void A_delivery_ends_the_stall_and_restarts_the_idle_time()
    {
        _watchdog.Delivered(_partition, offset: 99, Start);
        _positions.LocalEnd = 500;
        Check(Start + Timeout);

        _watchdog.Delivered(_partition, offset: 100, Start + Timeout + TimeSpan.FromSeconds(1));

        Assert.Equal([_partition.TopicPartition], _observer.Ended);
        Assert.False(_partition.Poll.ReportedStalled);
        Assert.Null(Check(Start + Timeout + TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public void A_partition_the_engine_holds_is_never_stalled()
    {
        _positions.LocalNext = 0;
        _positions.LocalEnd = 500;
        _partition.Poll.Paused = true;
        Assert.Null(Check(Start + Timeout * 3));

        _partition.Poll.Paused = false;
        new Dispatcher().Stop(_partition); // only the dispatcher stops a partition
        Assert.Null(Check(Start + Timeout * 4));

        Assert.Empty(_observer.Stalls);
    }

    [Fact]
    public void Idle_time_counts_from_when_the_engine_released_the_partition_or_last_held_every_partition()
    {
        _positions.LocalNext = 0;
        _positions.LocalEnd = 500;
        _watchdog.Released(_partition, Start + TimeSpan.FromSeconds(30));
        Assert.Null(Check(Start + TimeSpan.FromSeconds(35)));

        _watchdog.HeldAll(Start + TimeSpan.FromSeconds(38));
        Assert.Null(Check(Start + TimeSpan.FromSeconds(45)));

        Assert.NotNull(Check(Start + TimeSpan.FromSeconds(48)));
        Assert.Equal(Timeout, Assert.Single(_observer.Stalls).Idle);
    }

    [Fact]
    public void A_partition_at_its_end_is_idle_not_stalled_and_is_looked_at_again_half_a_timeout_later()
    {
        _watchdog.Delivered(_partition, offset: 499, Start);
        _positions.LocalEnd = 500;
        _positions.BrokerEnd = 500;

        Assert.Null(Check(Start + Timeout));
        Assert.Equal(1, _positions.BrokerQueries); // the cached end may be old: the broker is asked
        Assert.Null(Check(Start + Timeout + TimeSpan.FromSeconds(4)));
        Assert.Equal(1, _positions.BrokerQueries);

        _positions.BrokerEnd = 700; // new messages that were never delivered
        Assert.NotNull(Check(Start + (Timeout * 2)));
        Assert.Equal(700, Assert.Single(_observer.Stalls).End);
        Assert.Equal(Timeout, _observer.Stalls[0].Idle); // counted from the look that found nothing to read
    }

    [Fact]
    public void A_message_arriving_after_a_long_idle_spell_is_not_a_stall_at_the_next_look()
    {
        _watchdog.Delivered(_partition, offset: 499, Start);
        _positions.LocalEnd = 500;
        _positions.BrokerEnd = 500;
        Assert.Null(Check(Start + Timeout)); // nothing to read: idle, not stalled
        Assert.Null(Check(Start + Timeout + (Timeout / 2))); // still nothing

        _positions.LocalEnd = 503; // appended just before the next look, its fetch still on the way
        Assert.Null(Check(Start + (Timeout * 2)));

        Assert.Empty(_observer.Stalls);
        Assert.NotNull(Check(Start + (Timeout * 2) + (Timeout / 2))); // not delivered for the timeout since the last idle look
        Assert.Equal(Timeout, Assert.Single(_observer.Stalls).Idle);
    }

    [Fact]
    public void An_unknown_position_is_asked_of_the_broker_and_an_unknown_answer_is_not_a_stall()
    {
        _positions.BrokerNext = 40;
        _positions.LocalEnd = 100;
        Assert.NotNull(Check(Start + Timeout));
        Assert.Equal(40, Assert.Single(_observer.Stalls).Position.Offset.Value);

        var other = new PartitionState(new TopicPartition("orders", 3)) { Poll = { IdleSince = Start } };
        _positions.BrokerNext = null;
        Assert.Null(_watchdog.Check(Start + Timeout * 3, [other], _positions));
    }

    [Fact]
    public void At_most_two_partitions_a_round_are_asked_of_the_broker()
    {
        var partitions = Enumerable.Range(0, 5).Select(p => new PartitionState(new TopicPartition("orders", p)) { Poll = { IdleSince = Start } }).ToList();
        _positions.LocalNext = 10;
        _positions.LocalEnd = 10;
        _positions.BrokerEnd = 10;

        _watchdog.Check(Start + Timeout, partitions, _positions);
        Assert.Equal(2, _positions.BrokerQueries);
        _watchdog.Check(Start + Timeout + TimeSpan.FromSeconds(1), partitions, _positions);
        _watchdog.Check(Start + Timeout + TimeSpan.FromSeconds(2), partitions, _positions);
        _watchdog.Check(Start + Timeout + TimeSpan.FromSeconds(3), partitions, _positions);
        Assert.Equal(5, _positions.BrokerQueries); // each partition once, then not before a timeout passed
    }

    [Fact]
    public void A_revoked_stalled_partition_ends_its_stall_and_an_infinite_timeout_turns_the_watchdog_off()
    {
        _positions.LocalNext = 0;
        _positions.LocalEnd = 5;
        Check(Start + Timeout);
        _watchdog.Forget(_partition);
        Assert.Equal([_partition.TopicPartition], _observer.Ended);

        var off = new StallWatchdog(System.Threading.Timeout.InfiniteTimeSpan, _observer);
        var fresh = new PartitionState(new TopicPartition("orders", 9)) { Poll = { IdleSince = Start } };
        Assert.Null(off.Check(Start + TimeSpan.FromDays(1), [fresh], _positions));
    }

    [Fact]
    public void A_delivery_stamped_before_the_partition_was_last_released_does_not_move_its_idle_time_back()
    {
        _positions.LocalEnd = 500;
        _watchdog.Released(_partition, Start + TimeSpan.FromSeconds(30)); // rewound after a commit that waited 30 s
        _watchdog.Delivered(_partition, offset: 0, Start); // the feeder's batch started before that wait

        Assert.Null(Check(Start + TimeSpan.FromSeconds(30) + Timeout - TimeSpan.FromSeconds(1)));
        Assert.NotNull(Check(Start + TimeSpan.FromSeconds(30) + Timeout));
    }

    [Fact]
    public void Time_the_poll_thread_held_a_partition_is_not_idle_but_the_idle_time_before_it_still_counts()
    {
        _watchdog.Delivered(_partition, offset: 0, Start);
        _positions.LocalEnd = 500;
        _watchdog.Held([_partition], TimeSpan.FromSeconds(8)); // a transaction commit waited 8 s for handlers

        Assert.Null(Check(Start + TimeSpan.FromSeconds(8) + Timeout - TimeSpan.FromSeconds(1)));
        Assert.NotNull(Check(Start + TimeSpan.FromSeconds(8) + Timeout));
        Assert.Equal(Timeout, Assert.Single(_observer.Stalls).Idle);
    }

    [Fact]
    public void A_step_of_the_wall_clock_is_neither_idle_time_nor_takes_any_away()
    {
        var clock = new ManualClock(Start);
        var watchdog = new StallWatchdog(Timeout, _observer, clock);
        _positions.LocalEnd = 500;
        watchdog.Delivered(_partition, offset: 99, watchdog.Now);

        clock.Step(TimeSpan.FromHours(1)); // NTP sets the wall clock an hour forward
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(watchdog.Check(watchdog.Now, [_partition], _positions));

        clock.Step(-TimeSpan.FromHours(2)); // and then an hour back, behind where it started
        clock.Advance(Timeout - TimeSpan.FromSeconds(1));
        Assert.Equal([_partition], watchdog.Check(watchdog.Now, [_partition], _positions));
        Assert.Equal(Timeout, Assert.Single(_observer.Stalls).Idle);
    }

    private List<PartitionState>? Check(DateTime now) => _watchdog.Check(now, [_partition], _positions);

    private sealed class FakePositions : IPartitionPositions
    {
        public long? LocalNext { get; set; }

        public long? BrokerNext { get; set; }

        public long? LocalEnd { get; set; }

        public long? BrokerEnd { get; set; }

        public int BrokerQueries { get; private set; }

        public long? Next(PartitionState partition, bool askBroker) =>
            partition.Poll.NextOffset >= 0 ? partition.Poll.NextOffset : askBroker ? BrokerNext : LocalNext;

        public long? End(TopicPartition partition, bool askBroker)
        {
            if (askBroker)
            {
                BrokerQueries++;
                return BrokerEnd;
            }

            return LocalEnd;
        }
    }

    private sealed class StallRecorder : IProcessorObserver
    {
        public List<(TopicPartitionOffset Position, long End, TimeSpan Idle)> Stalls { get; } = [];

        public List<TopicPartition> Ended { get; } = [];

        public void OnPartitionStalled(TopicPartitionOffset position, long endOffset, TimeSpan idle) => Stalls.Add((position, endOffset, idle));

        public void OnPartitionStallEnded(TopicPartition partition) => Ended.Add(partition);
    }
}
