using System.Globalization;
using Conveyor.Cli.Kafka;

namespace Conveyor.Cli.Offsets;

/// <summary>
/// One <c>conveyor offsets reset</c>: checks the topic, the partitions and the group, refuses a group
/// with members, plans every move (<see cref="OffsetResetPlan"/>) and prints it, and commits only with
/// <c>--execute</c>. Every refusal comes before the commit, so a refused reset changes nothing.
/// </summary>
internal sealed class OffsetResetRun(ClientSettings settings, string group, string topic, IReadOnlyList<int> partitions, TextWriter errors)
{
    public async Task<int> RunAsync(ResetTarget target, bool execute, TextWriter output)
    {
        var metadata = ClusterProbe.Connect(settings, ClusterProbe.DefaultTimeout);
        ClusterProbe.RequireTopic(metadata, topic, settings.BootstrapServers, "--topic");
        var count = ClusterProbe.PartitionCount(metadata, topic)!.Value;
        foreach (var partition in partitions.Where(p => p < 0 || p >= count))
        {
            throw new CommandFailedException(Invariant($"topic '{topic}' has no partition {partition} (it has partitions 0 to {count - 1}); nothing changed. Check --partition."));
        }

        IReadOnlyList<int> named = partitions.Count > 0 ? [.. partitions.Distinct().Order()] : [.. Enumerable.Range(0, count)];
        using var offsets = new GroupOffsets(settings, group, errors);
        var current = offsets.Read(topic, named);
        if (current.All(p => p.Committed is null) && offsets.Read(topic, [.. Enumerable.Range(0, count)]).All(p => p.Committed is null))
        {
            throw new CommandFailedException($"group {group} has no committed offsets on topic '{topic}' at {settings.BootstrapServers}; nothing changed. Check --group and --topic.");
        }

        var members = await offsets.MembersAsync().ConfigureAwait(false);
        if (members.Count is int memberCount and > 0)
        {
            throw offsets.LiveMembers(Invariant($"{memberCount} member(s)"));
        }

        var byTime = target is ResetTarget.ToTime time ? offsets.OffsetsAt(topic, named, time.Time) : null;
        var moves = OffsetResetPlan.Compute(target, current, byTime);
        if (execute)
        {
            offsets.Commit(topic, moves, members);
        }

        var verb = execute ? "committed" : "dry run, nothing changed (add --execute to commit)";
        await output.WriteLineAsync($"group {group} topic {topic} {target.Option}: {verb}").ConfigureAwait(false);
        if (members.Unknown is { } unknown)
        {
            await output.WriteLineAsync($"members not checked: cannot tell whether group {group} has members: {unknown}; the cluster refuses the commit while it has any").ConfigureAwait(false);
        }

        await output.WriteLineAsync("PARTITION  CURRENT  NEW").ConfigureAwait(false);
        foreach (var move in moves)
        {
            await output.WriteLineAsync(Invariant($"{move.Partition,9}  {(move.From is { } from ? from.ToString(CultureInfo.InvariantCulture) : "-"),7}  {move.To,3}")).ConfigureAwait(false);
        }

        return ExitCodes.Success;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
