using Conveyor.Fleet;

namespace Conveyor.Tests.Fleet;

public class OperatorStateTests
{
    private static readonly DateTimeOffset At = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    private static ControlCommand Command(ControlKind kind, string? topic = null, int[]? partitions = null, string group = "g", string? id = null, string by = "ops") =>
        new(id ?? Guid.NewGuid().ToString("N"), group, kind, by, At) { Topic = topic, Partitions = partitions };

    [Fact]
    public void A_pause_holds_exactly_its_scope_and_says_who_paused_it()
    {
        var state = new OperatorState("g");
        state.Apply(Command(ControlKind.Pause, "orders", [1], by: "alice"));

        Assert.Equal("alice", state.PauseOf("orders", 1)?.By);
        Assert.Equal(At, state.PauseOf("orders", 1)?.At);
        Assert.Null(state.PauseOf("orders", 0));
        Assert.Null(state.PauseOf("payments", 1));
    }

    [Fact]
    public void A_resume_of_a_topic_lifts_its_partitions_pauses_but_a_partition_resume_leaves_the_topic_pause()
    {
        var state = new OperatorState("g");
        state.Apply(Command(ControlKind.Pause, "orders"));
        state.Apply(Command(ControlKind.Pause, "payments", [2]));

        state.Apply(Command(ControlKind.Resume, "orders", [0]));
        Assert.NotNull(state.PauseOf("orders", 0)); // the topic's pause still holds it

        state.Apply(Command(ControlKind.Resume, "payments"));
        Assert.Null(state.PauseOf("payments", 2));
        state.Apply(Command(ControlKind.Resume));
        Assert.Empty(state.Pauses);
    }

    [Fact]
    public void A_pause_of_the_group_holds_every_partition_of_every_topic()
    {
        var state = new OperatorState("g");
        state.Apply(Command(ControlKind.Pause));

        Assert.Equal("the group", state.PauseOf("anything", 7)?.Scope);
    }

    [Fact]
    public void Each_command_id_counts_once_and_another_groups_commands_count_not_at_all()
    {
        var state = new OperatorState("g");
        var pause = Command(ControlKind.Pause, "orders", [0], id: "one");

        Assert.True(state.Apply(pause));
        Assert.True(state.Apply(Command(ControlKind.Resume, "orders", [0])));
        Assert.False(state.Apply(pause)); // a duplicate delivery does not pause again
        Assert.False(state.Apply(Command(ControlKind.Pause, "orders", [0], group: "other")));
        Assert.Null(state.PauseOf("orders", 0));
    }

    [Fact]
    public void A_partition_paused_twice_keeps_its_first_author_and_time()
    {
        var state = new OperatorState("g");
        state.Apply(Command(ControlKind.Pause, "orders", [0], by: "alice"));
        state.Apply(Command(ControlKind.Pause, "orders", [0], by: "bob"));

        Assert.Equal("alice", Assert.Single(state.Pauses).By);
    }

    [Fact]
    public void The_last_concurrency_asked_for_is_remembered()
    {
        var state = new OperatorState("g");
        state.Apply(Command(ControlKind.Concurrency) with { Limit = 8 });
        state.Apply(Command(ControlKind.Concurrency, by: "bob") with { Limit = 3 });

        Assert.Equal((3, "bob"), state.Concurrency);
    }

    [Fact]
    public void A_record_that_is_no_command_is_skipped()
    {
        Assert.Null(ControlCommand.Parse("not json"u8));
        Assert.Null(ControlCommand.Parse("""{"id":"x","group":"g","kind":"Explode","by":"a","at":"2026-12-06T12:00:00Z"}"""u8));
        Assert.Null(ControlCommand.Parse("""{"group":"g","kind":"Pause","by":"a","at":"2026-12-06T12:00:00Z"}"""u8));
        var command = Command(ControlKind.Rewind, "orders", [0, 1]) with { Offset = 5 };
        Assert.Equal(command.Scope, ControlCommand.Parse(command.ToJson())?.Scope);
        Assert.Equal(5, ControlCommand.Parse(command.ToJson())?.Offset);
    }

    [Fact]
    public void A_rewind_waits_for_each_partitions_next_owner_until_an_owner_decided_it_there_or_it_expired()
    {
        var state = new OperatorState("g");
        var waiting = Command(ControlKind.Rewind, "orders", [0, 1], id: "r1") with { Offset = 4, Until = At.AddSeconds(30) };
        state.Apply(waiting);
        state.Apply(Command(ControlKind.Rewind, "orders", [0], id: "r0") with { Offset = 2 }); // no Until: never kept for later

        var pending = Assert.Single(state.PendingRewinds([("orders", 1), ("orders", 2)], At));
        Assert.Equal("r1", pending.Id);
        Assert.Equal([1], pending.Partitions);

        state.Apply(Command(ControlKind.Rewound, "orders", [1]) with { Of = "r1" });
        Assert.Empty(state.PendingRewinds([("orders", 1)], At));
        Assert.Equal([0], Assert.Single(state.PendingRewinds([("orders", 0), ("orders", 1)], At)).Partitions);
        Assert.Empty(state.PendingRewinds([("orders", 0)], At.AddSeconds(30)));
    }
}
