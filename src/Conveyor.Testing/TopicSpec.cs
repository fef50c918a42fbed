namespace Conveyor.Testing;

/// <summary>A topic to create: its name and partition count.</summary>
/// <param name="Name">The topic name.</param>
/// <param name="Partitions">The number of partitions, 1 or more.</param>
public sealed record TopicSpec(string Name, int Partitions = 1)
{
    /// <summary>The topic as <c>name:partitions</c>.</summary>
    public override string ToString() => $"{Name}:{Partitions}";
}
