using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// One incarnation's part of a pipeline: for forwarding, the real <see cref="OutputProducer"/> on a
/// <see cref="SimOutputProducer"/> and what a forwarder's handler does after the user's code
/// returned (hands the outputs off, the worker free at once: <c>KafkaForwarder</c>'s pipelined handler).
/// </summary>
internal sealed class SimPipeline
{
    private readonly SimWorld _world;
    private readonly OutputProducer? _producer;

    public SimPipeline(SimWorld world, int incarnation, EngineRuntime runtime)
    {
        _world = world;
        if (world.Pipelines.Kind == Pipeline.Forwarding)
        {
            // No bound on unacknowledged outputs: a wait for room would continue on the thread pool (OutputWindow).
            _producer = new OutputProducer(new SimOutputProducer(world, incarnation), new ForwardingOptions(), forwarded: null, onFatal: _ => { }) { Runtime = runtime };
        }
    }

    /// <summary>Whether a successful handler call of this input hands outputs off rather than finishing it.</summary>
    public bool HandsOff(int partition, long offset) => _producer is not null && Outputs(partition, offset) > 0;

    /// <summary>A forwarder's handler returned outputs: they go to the producer and the input finishes when all are acknowledged.</summary>
    public IPendingAcknowledgement HandOff(MessageContext<byte[], byte[]> message, byte key, int epoch, CancellationToken cancellationToken)
    {
        var outputs = _world.Pipelines.Outputs.HandOff(message.Partition, message.Offset, key, Outputs(message.Partition, message.Offset), epoch);
        var handed = _producer!.HandAsync(outputs, input: null, cancellationToken);
        return handed.IsCompletedSuccessfully ? handed.Result : throw new InvalidOperationException("The output window is unbounded here: a hand-off never waits.");
    }

    private int Outputs(int partition, long offset) => MessagePlan.Outputs(_world.Cluster.Schedule.Seed, partition, offset);
}
