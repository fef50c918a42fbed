namespace Conveyor.Cli.CommandLine;

/// <summary>
/// A comma-separated list of durations (<c>--retry-topic-delays 10s,1m</c>). Not a collection on
/// purpose: <c>--help</c> prints a collection's default joined with <c>|</c>, while this prints
/// as it is typed.
/// </summary>
/// <param name="Values">The durations, in order.</param>
internal sealed record DurationList(IReadOnlyList<TimeSpan> Values)
{
    public override string ToString() => string.Join(",", Values.Select(Durations.Format));
}
