using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conveyor.Fleet;

/// <summary>What an operator asks of a group.</summary>
internal enum ControlKind
{
    /// <summary>Stop handling a partition, a topic or the whole group until resumed; survives rebalances and restarts.</summary>
    Pause,

    /// <summary>Undo pauses inside the scope.</summary>
    Resume,

    /// <summary>Set the live limit on running handlers.</summary>
    Concurrency,

    /// <summary>Move partitions to an offset (one for all, or one each) or by a shift from their committed offset: each is moved once, by its owner.</summary>
    Rewind,

    /// <summary>Stop the processors (one instance, or all): drain, commit, leave the group.</summary>
    Stop,

    /// <summary>An owner's note that it decided a rewind (<see cref="ControlCommand.Of"/>) for these partitions, moved or refused: no later owner applies it there.</summary>
    Rewound,
}

/// <summary>
/// One operator command on the control topic, as JSON. <see cref="Id"/> makes it idempotent: an
/// instance applies each id once. <see cref="Topic"/> and <see cref="Partitions"/> narrow the scope
/// (none: the whole group); <see cref="Instance"/> narrows a stop to one instance.
/// </summary>
internal sealed record ControlCommand(string Id, string Group, ControlKind Kind, string By, DateTimeOffset At)
{
    public string? Topic { get; init; }

    public IReadOnlyList<int>? Partitions { get; init; }

    /// <summary>A rewind's offset, the same for every partition.</summary>
    public long? Offset { get; init; }

    /// <summary>A rewind's offset per partition, resolved by the sender (the earliest, the latest, a date).</summary>
    public IReadOnlyDictionary<int, long>? Offsets { get; init; }

    /// <summary>A rewind by this many messages from each partition's committed offset, at the moment its owner applies it.</summary>
    public long? Shift { get; init; }

    /// <summary>
    /// Until when a rewind waits for a partition that had no owner when it was read: its next
    /// owner applies it on taking the partition, up to this time (by that instance's clock). Null
    /// (older senders, the dashboard): only the owners at reading time apply it.
    /// </summary>
    public DateTimeOffset? Until { get; init; }

    /// <summary>For <see cref="ControlKind.Rewound"/>: the id of the rewind decided.</summary>
    public string? Of { get; init; }

    public int? Limit { get; init; }

    public string? Instance { get; init; }

    /// <summary>What the command acts on, for status records and answers: <c>orders[0,1]</c>, <c>orders</c> or <c>the group</c>.</summary>
    public string Scope => Topic is null ? "the group"
        : Partitions is { Count: > 0 } partitions ? $"{Topic}[{string.Join(",", partitions)}]"
        : Topic;

    /// <summary>Whether the command names <paramref name="topic"/>'s <paramref name="partition"/> (its scope holds it).</summary>
    public bool Covers(string topic, int partition) =>
        Topic is null || (Topic == topic && (Partitions is not { Count: > 0 } || Partitions.Contains(partition)));

    public static JsonSerializerOptions Json { get; } = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    /// <summary>The command in <paramref name="json"/>, or null when it is not one (another tool's record, or garbage): skipped, never fatal.</summary>
    public static ControlCommand? Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            var command = JsonSerializer.Deserialize<ControlCommand>(json, Json);
            return command is { Id: { Length: > 0 }, Group: { Length: > 0 } } && Enum.IsDefined(command.Kind) ? command : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
