using Confluent.Kafka;
using Conveyor.Cli.Tutorial;
using Conveyor.Processing;

namespace Conveyor.Cli.Pipe;

/// <summary>Prints each forwarded message, and passes every other event to the console observer, which prints rebalances, commits, retries and failures as the consumer does.</summary>
internal sealed class PipeObserver(ConsoleObserver console, TextWriter output) : CompositeObserver(console)
{
    private int _forwarded;

    /// <summary>Called after every forwarded message.</summary>
    public event Action? MessageForwarded;

    public ConsoleObserver Console => console;

    public int Forwarded => Volatile.Read(ref _forwarded);

    public override void OnForwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs)
    {
        output.WriteLine(PipeLines.Forwarded(input, outputs));
        Interlocked.Increment(ref _forwarded);
        MessageForwarded?.Invoke();
        base.OnForwarded(input, outputs);
    }
}
