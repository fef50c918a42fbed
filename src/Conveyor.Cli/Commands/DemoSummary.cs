namespace Conveyor.Cli.Commands;

/// <summary>The demo's last line.</summary>
/// <param name="Produced">Messages the broker acknowledged.</param>
/// <param name="Consumed">Messages the consumer received.</param>
/// <param name="Committed">Produced messages whose offsets are committed.</param>
/// <param name="IsComplete">Everything produced was committed.</param>
internal sealed record DemoSummary(int Produced, int Consumed, int Committed, bool IsComplete)
{
    public override string ToString() =>
        $"demo {(IsComplete ? "finished" : "stopped")}: produced {Produced}, consumed {Consumed}, committed {Committed}";
}
