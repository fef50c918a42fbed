using System.Text.Json;

namespace Conveyor.Fleet;

/// <summary>
/// One instance's status record on the status topic, as JSON (key: <c>group/instance</c>). Published
/// every <see cref="FleetOptions.StatusInterval"/> and once when the processor stops
/// (<see cref="State"/> <c>Stopped</c> or <c>Failed</c>).
/// </summary>
internal sealed record InstanceStatus(string Group, string Instance, string Host, string Version, string State, DateTimeOffset At)
{
    public IReadOnlyList<string> Topics { get; init; } = [];

    public IReadOnlyList<PartitionStatus> Partitions { get; init; } = [];

    /// <summary>Messages handled per second, over the last 10 s.</summary>
    public double Rate { get; init; }

    public long Handled { get; init; }

    public int InFlight { get; init; }

    /// <summary>The limit on running handlers in force now.</summary>
    public int Concurrency { get; init; }

    /// <summary>The group's operator pauses as this instance knows them (the same on every instance that read the same commands).</summary>
    public IReadOnlyList<OperatorPause> Pauses { get; init; } = [];

    /// <summary>The last commands this instance applied, newest last, with what became of each here.</summary>
    public IReadOnlyList<CommandResult> Commands { get; init; } = [];

    public string? Failure { get; init; }

    /// <summary>The record's key on the status topic.</summary>
    public string Key => $"{Group}/{Instance}";

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, ControlCommand.Json);

    /// <summary>The record in <paramref name="json"/>, or null when it is not one.</summary>
    public static InstanceStatus? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<InstanceStatus>(json, ControlCommand.Json) is { Group.Length: > 0, Instance.Length: > 0 } status ? status : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>One assigned partition in a status record. <see cref="Paused"/> says why it is paused (an operator's pause names who and when; back-pressure; a stop at a failed message), null when it is not.</summary>
internal sealed record PartitionStatus(string Topic, int Partition, long? Committed, long? Handled, long? End, int InFlight, int Buffered, string? Paused);

/// <summary>What an instance did with a command: <see cref="Result"/> is a line for the operator.</summary>
internal sealed record CommandResult(string Id, ControlKind Kind, string Result, DateTimeOffset At);
