using System.Globalization;
using Conveyor.Fleet;

namespace Conveyor.Cli.Fleet;

/// <summary>The fleet as lines of text: every group, its instances (live or gone), each partition with its owner, offsets and pause.</summary>
internal static class FleetLines
{
    public static IEnumerable<string> Table(IReadOnlyList<FleetInstance> instances, DateTimeOffset now)
    {
        foreach (var group in instances.GroupBy(i => i.Status.Group))
        {
            var live = group.Where(i => i.Live).ToList();
            yield return $"group {group.Key}: {live.Count} live instance(s)";
            foreach (var instance in group)
            {
                var s = instance.Status;
                var age = (now - s.At).TotalSeconds.ToString("0", CultureInfo.InvariantCulture);
                yield return $"  {(instance.Live ? "live" : "gone")} {s.Instance} on {s.Host} (v{s.Version}, {s.State}, {age} s ago): "
                    + $"{s.Rate.ToString("0.#", CultureInfo.InvariantCulture)} msg/s, {s.InFlight} in flight, concurrency {s.Concurrency}";
            }

            yield return "  partition      owner            committed    handled        end  in flight  paused";
            foreach (var (instance, partition) in live.SelectMany(i => i.Status.Partitions.Select(p => (i.Status.Instance, p)))
                .OrderBy(x => x.p.Topic, StringComparer.Ordinal).ThenBy(x => x.p.Partition))
            {
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"  {$"{partition.Topic}[{partition.Partition}]",-14} {instance,-16} {Show(partition.Committed),9} {Show(partition.Handled),10} {Show(partition.End),10} {partition.InFlight,10}  {partition.Paused ?? "-"}");
            }

            if (live.FirstOrDefault()?.Status.Pauses is { Count: > 0 } pauses)
            {
                yield return "  operator pauses: " + string.Join("; ", pauses.Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Scope} by {p.By} at {p.At:yyyy-MM-dd HH:mm:ss}Z")));
            }
        }
    }

    private static string Show(long? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";
}
