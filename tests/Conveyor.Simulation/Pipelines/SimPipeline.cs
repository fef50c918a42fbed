using Conveyor.Processing;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;
using Conveyor.Processing.Transactions;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// One incarnation's part of a pipeline: the real <see cref="OutputProducer"/> on a simulated
/// producer, and what a forwarder's handler does after the user's code returned (as
/// <c>KafkaForwarder</c>'s handlers do): pipelined, the outputs are handed off and the worker is
/// free at once; exactly-once, they are written into the open transaction and waited for, and the
/// real <see cref="TransactionCoordinator"/> commits them with the offsets.
/// </summary>
internal sealed class SimPipeline
{
    private readonly SimWorld _world;
    private readonly OutputProducer? _producer;

    public SimPipeline(SimWorld world, SimMember member, EngineRuntime runtime, ProcessorOptions options, IEngineEvents events)
    {
        _world = world;
        switch (world.Pipelines.Kind)
        {
            case Pipeline.Forwarding:
                // A window of 1-4 outputs fills at once (an input has up to 3): workers wait for room before they take, and senders
                // whose input outgrew the room held wait too; both resume as the scheduler's events.
                var window = new ForwardingOptions { MaxUnacknowledgedOutputs = WindowSize(world.Cluster.Schedule) };
                _producer = new OutputProducer(new SimOutputProducer(world, member.OwnerTag), window, forwarded: null, onFatal: _ => { }) { Runtime = runtime };
                Room = new TracedTakeRoom(_producer.Window, world);
                break;
            case Pipeline.ExactlyOnce or Pipeline.ExactlyOnceAnyOrdering:
                var transactional = new SimTransactionalProducer(world, member);
                _producer = new OutputProducer(transactional);
                Transactions = new TransactionCoordinator(transactional, options.TransactionTimeout, events, runtime: runtime);
                Transactions.Start();
                break;
        }
    }

    /// <summary>Exactly-once only: the transactions the poll loop commits and the workers' gate.</summary>
    public TransactionCoordinator? Transactions { get; }

    /// <summary>Pipelined forwarding only: the output window, where workers wait for room before they take (as <c>KafkaForwarder</c>'s do).</summary>
    public ITakeRoom? Room { get; }

    /// <summary>Whether a successful handler call of this input writes outputs rather than finishing it at once.</summary>
    public bool HandsOff(int partition, long offset) => _producer is not null && Outputs(partition, offset) > 0;

    /// <summary>A forwarder's handler returned outputs for this input.</summary>
    public ValueTask<IPendingAcknowledgement?> HandOffAsync(MessageContext<byte[], byte[]> message, byte key, int epoch, CancellationToken cancellationToken)
    {
        if (Transactions is not null)
        {
            return WriteInTransactionAsync(message, key, epoch, cancellationToken);
        }

        var outputs = _world.Pipelines.Outputs.HandOff(message.Partition, message.Offset, key, Outputs(message.Partition, message.Offset), epoch);

        var handed = _producer!.HandAsync(outputs, input: null, cancellationToken);
        if (handed.IsCompletedSuccessfully)
        {
            return new ValueTask<IPendingAcknowledgement?>(handed.Result);
        }

        _world.Trace.Add($"output window full: p{message.Partition}@{message.Offset} waits for room ({_producer.Window.Outputs} unacknowledged)");
        return WhenAdmittedAsync(handed);
    }

    /// <summary>
    /// The forwarding pipeline's bound on unacknowledged outputs: 1-4, from the seed alone; on a
    /// large schedule 1-4 per partition of the main topic. A window of 1-4 shared by up to 6
    /// partitions of up to 200 messages measured the model, not the engine: 6 % of acknowledgements
    /// come 1-5 s late and the window admits in order, so late outputs pile up in it and the
    /// first waiter (up to 3 outputs) waits for them one after another, each up to 5 s. Large
    /// seeds 438 and 898 made a partition wait 30 s behind such chains (in 898's trace the window
    /// admitted nothing for 4.4, 4.8, 5.0, 4.8 and 4.9 s in a row), and 29, 31, 387, 1187, 1252
    /// and 1769 took over 5 minutes (seed 29's 1,598 outputs need 326 s through its window of 2
    /// at best). A window of 1-4 still fills on every default schedule (<c>OutputWindowTests</c>).
    /// </summary>
    public static int WindowSize(Schedule schedule) =>
        (1 + (int)(MessagePlan.Roll(schedule.Seed, 0x57494E44) % 4)) * (schedule.Large ? schedule.Partitions - schedule.RetryTopicPartitions : 1);

    private static async ValueTask<IPendingAcknowledgement?> WhenAdmittedAsync(ValueTask<OutputDelivery> handed) => await handed.ConfigureAwait(false);

    /// <summary>
    /// As <c>KafkaForwarder</c>'s transactional handler: the message holds the commit gate from its
    /// first write (one whose partition went meanwhile writes nothing and stays unfinished); a
    /// failed output aborts the transaction (the message runs again after the rewind).
    /// </summary>
    private async ValueTask<IPendingAcknowledgement?> WriteInTransactionAsync(MessageContext<byte[], byte[]> message, byte key, int epoch, CancellationToken cancellationToken)
    {
        if (!await Transactions!.Gate.EnterAsync(message.Item!).ConfigureAwait(false))
        {
            _world.Trace.Add($"p{message.Partition}@{message.Offset} writes nothing: its partition went before its outputs");
            throw new DeclinedMessageException();
        }

        var outputs = _world.Pipelines.Outputs.HandOff(message.Partition, message.Offset, key, Outputs(message.Partition, message.Offset), epoch);
        try
        {
            await _producer!.SendAllAsync(outputs, cancellationToken).ConfigureAwait(false);
        }
        catch (OutputDeliveryException e)
        {
            Transactions!.RequestAbort(e.Errors[0]);
            return null;
        }

        Transactions!.Produced();
        return null;
    }

    private int Outputs(int partition, long offset) => MessagePlan.Outputs(_world.Cluster.Schedule.Seed, partition, offset);
}
