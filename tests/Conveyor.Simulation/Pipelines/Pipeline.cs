namespace Conveyor.Simulation.Pipelines;

/// <summary>What the simulated processor is: which of the engine's pipelines a schedule runs.</summary>
internal enum Pipeline
{
    /// <summary>A handler that finishes its message (at-least-once, the consumer's commits).</summary>
    Plain,

    /// <summary>A forwarder's pipelined outputs: the real <c>OutputProducer</c> and <c>OutputDelivery</c> on a simulated producer; an input finishes once all its outputs are acknowledged.</summary>
    Forwarding,

    /// <summary><c>DeliveryGuarantee.AtMostOnce</c>: each fetched batch committed before it is handled.</summary>
    AtMostOnce,
}

/// <summary>A schedule's pipeline from its seed alone (a hash apart from the schedule's random stream, so the rest of the schedule stays as it was).</summary>
internal static class PipelinePlan
{
    public static Pipeline For(int seed) => (MessagePlan.Roll(seed, 0x5049_5045) % 100) switch
    {
        < 50 => Pipeline.Plain,
        < 80 => Pipeline.Forwarding,
        _ => Pipeline.AtMostOnce,
    };
}
