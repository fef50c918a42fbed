using System.Globalization;

namespace Conveyor.Cli.Offsets;

/// <summary>Where <c>conveyor offsets reset</c> moves each partition: exactly one of its target options.</summary>
internal abstract record ResetTarget
{
    /// <summary>The option that chose it, for messages.</summary>
    public abstract string Option { get; }

    /// <summary>The first offset still kept.</summary>
    public sealed record Earliest : ResetTarget
    {
        public override string Option => "--to-earliest";
    }

    /// <summary>The end: the offset the next message will get.</summary>
    public sealed record Latest : ResetTarget
    {
        public override string Option => "--to-latest";
    }

    /// <summary>One offset for every partition named.</summary>
    public sealed record ToOffset(long Offset) : ResetTarget
    {
        public override string Option => string.Create(CultureInfo.InvariantCulture, $"--to-offset {Offset}");
    }

    /// <summary>The first message at or after a time (Kafka's offsets-for-times).</summary>
    public sealed record ToTime(DateTimeOffset Time) : ResetTarget
    {
        public override string Option => $"--to-datetime {Time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}";
    }

    /// <summary>The committed offset moved by a number of messages, forward or back.</summary>
    public sealed record ShiftBy(long Shift) : ResetTarget
    {
        public override string Option => string.Create(CultureInfo.InvariantCulture, $"--shift-by {Shift}");
    }
}
