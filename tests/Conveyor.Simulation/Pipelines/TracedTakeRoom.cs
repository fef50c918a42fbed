using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Simulation.Pipelines;

/// <summary>The output window as the workers wait in it before they take, telling the trace when one must wait.</summary>
internal sealed class TracedTakeRoom(OutputWindow window, SimWorld world) : ITakeRoom
{
    public ValueTask HoldAsync() => Traced(window.HoldAsync());

    public ValueTask HoldNextAsync() => Traced(window.HoldNextAsync());

    public void Release() => window.Release();

    public void Open() => window.Open();

    private ValueTask Traced(ValueTask hold)
    {
        if (!hold.IsCompleted)
        {
            world.Trace.Add($"output window full: a worker waits for room to take ({window.Outputs} unacknowledged)");
        }

        return hold;
    }
}
