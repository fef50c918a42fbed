namespace Conveyor.Processing;

/// <summary>
/// Marks a settings section of <see cref="ProcessorOptions"/> that one kind of processor uses and
/// the others ignore, so that <see cref="ProcessorOptionsDescription"/> leaves it off the others' descriptions.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class OnlyForAttribute(ProcessorKind kind) : Attribute
{
    public ProcessorKind Kind { get; } = kind;
}
