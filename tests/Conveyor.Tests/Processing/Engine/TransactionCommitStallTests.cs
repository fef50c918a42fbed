using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Conveyor.Processing.Commits;
using Conveyor.Processing.Completions;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Transactions;
using Conveyor.TestSupport.Doubles;

namespace Conveyor.Tests.Processing.Engine;

/// <summary>
/// Exactly-once: the transaction's commit blocks the poll thread up to the transaction timeout,
/// and the partitions fetch nothing meanwhile. That is the engine holding them, not their idle
/// time, as for the gate's wait before it: else a slow coordinator gets partitions reported
/// stalled after far less than the stall timeout of their own idleness. (An abort rewinds every
/// partition, whose idle time then starts again.)
/// </summary>
public sealed class TransactionCommitStallTests
{
    private static readonly DateTimeOffset Start = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly TopicPartition P0 = new("transaction-hold", 0);
    private static readonly TimeSpan CallTakes = TimeSpan.FromSeconds(30);

    [Fact]
    public void A_transaction_s_commit_does_not_count_as_idle_time()
    {
        var member = new Member();

        member.Commit();

        var held = member.Clock.GetUtcNow().UtcDateTime;
        Assert.Equal(CallTakes, held - Start.UtcDateTime - member.Options.CommitInterval);
        Assert.Equal(["commit"], member.Producer.Calls);

        // 41 s of its own idleness after the call: 71 s since it last could deliver, not a stall.
        Assert.Null(member.Watchdog.Check(held + TimeSpan.FromSeconds(40), member.Owned.Values, member.Positions));

        // Idle for the whole stall timeout after the call: reported.
        Assert.Equal([P0], member.Watchdog.Check(held + member.Options.StallTimeout, member.Owned.Values, member.Positions)?.Select(p => p.TopicPartition));
    }

    /// <summary>A member owning <see cref="P0"/> since <see cref="Start"/>, offset 0 finished, whose transaction's calls each take <see cref="CallTakes"/>.</summary>
    private sealed class Member
    {
        private readonly TransactionalCommits _commits;
        private readonly CommitSchedule _schedule;

        public Member()
        {
            var runtime = new EngineRuntime { Time = Clock };
            var dispatcher = new Dispatcher(runtime: runtime);
            var events = new ProcessorEvents(null, Options.GroupId, text => text);
            Watchdog = new StallWatchdog(Options.StallTimeout, events, Clock);
            Owned = new OwnedPartitions(dispatcher, Watchdog);
            var state = new PartitionState(P0);
            Owned.Add(state);
            dispatcher.PassOtherGroups([(state, 0)]);
            var consumer = new FakeConsumer(new ConsumerCallbacks((_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }, (_, _) => { }));
            Producer = new SlowProducer(Clock);
            var transactions = new TransactionCoordinator(Producer, Options.TransactionTimeout, events, runtime: runtime);

            _schedule = new CommitSchedule(Options.CommitInterval, everyMessages: null);
            var context = new CommitContext(Options, consumer, dispatcher, Owned, _schedule, new OffsetOnlyCompletions(dispatcher, consumer), new RebalanceHold(), Watchdog, events, Clock, _ => { });
            _commits = new TransactionalCommits(context, transactions);
            _commits.Start(Watchdog.Now);
        }

        public ManualClock Clock { get; } = new(Start);

        public ProcessorOptions Options { get; } = new()
        {
            GroupId = "transaction-hold",
            Topics = ["transaction-hold"],
            Guarantee = DeliveryGuarantee.ExactlyOnce,
            TransactionalId = "transaction-hold",
            CommitInterval = TimeSpan.FromSeconds(1),
            StallTimeout = TimeSpan.FromSeconds(60),
            TransactionTimeout = TimeSpan.FromSeconds(60),
        };

        public StallWatchdog Watchdog { get; }

        public OwnedPartitions Owned { get; }

        public SlowProducer Producer { get; }

        public IPartitionPositions Positions { get; } = new HoldStallDoubles.BehindPositions();

        /// <summary>The commit interval passes: the transaction is committed.</summary>
        public void Commit()
        {
            Clock.Advance(Options.CommitInterval);
            _commits.Tick(Watchdog.Now);
        }
    }

    /// <summary>A transactional producer whose commit takes <see cref="CallTakes"/> on the test's clock.</summary>
    private sealed class SlowProducer(ManualClock clock) : TransactionalProducerDouble
    {
        private readonly List<string> _calls = [];

        public override string Name => "slow-transactional";

        public IReadOnlyList<string> Calls
        {
            get
            {
                lock (_calls)
                {
                    return [.. _calls];
                }
            }
        }

        public override void InitTransactions(TimeSpan timeout)
        {
        }

        public override void BeginTransaction()
        {
        }

        public override void SendOffsetsToTransaction(IReadOnlyList<OffsetCommit> offsets, IConsumer<byte[]?, byte[]?> consumer, TimeSpan timeout)
        {
        }

        public override void CommitTransaction(TimeSpan timeout) => Take("commit");

        public override void AbortTransaction(TimeSpan timeout) => Take("abort"); // not expected: recorded, so the test sees it

        private void Take(string call)
        {
            clock.Advance(CallTakes);
            lock (_calls)
            {
                _calls.Add(call);
            }
        }
    }
}
