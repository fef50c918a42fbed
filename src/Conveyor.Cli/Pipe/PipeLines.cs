using System.Globalization;
using Confluent.Kafka;

namespace Conveyor.Cli.Pipe;

/// <summary>The lines <c>conveyor pipe</c> prints.</summary>
internal static class PipeLines
{
    public static string Forwarded(TopicPartitionOffset input, IReadOnlyList<TopicPartitionOffset> outputs) => Invariant(
        $"forwarded offset {input.Offset.Value} from partition {input.Partition.Value} to {(outputs.Count == 0 ? "nothing" : string.Join(", ", outputs.Select(o => Invariant($"{o.Topic}[{o.Partition.Value}]@{o.Offset.Value}"))))}");

    public static string Finished(int forwarded, IEnumerable<(string Topic, long Records)> outputs) => Invariant(
        $"pipe finished: forwarded {forwarded} messages to {string.Join(", ", outputs.Select(o => Invariant($"{o.Topic} ({o.Records} records)")))}");

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
