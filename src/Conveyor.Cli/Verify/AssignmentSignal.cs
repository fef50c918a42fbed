using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Cli.Verify;

/// <summary>Writes <see cref="WorkerSignals.Assigned"/> when the worker's processor is given partitions; passes every event on.</summary>
internal sealed class AssignmentSignal(TextWriter output, IProcessorObserver? next) : CompositeObserver(next)
{
    public override void OnPartitionsAssigned(IReadOnlyList<TopicPartition> partitions)
    {
        if (partitions.Count > 0)
        {
            output.WriteLine(WorkerSignals.Assigned);
        }

        base.OnPartitionsAssigned(partitions);
    }
}
