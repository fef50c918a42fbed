using Conveyor.DeadLetters;

namespace Conveyor.Cli.DeadLetters;

/// <summary>
/// What one replay sends: per dead-letter partition, the leading run of not-yet-replayed dead
/// letters that the filter selects. A partition's run ends at its first dead letter the filter
/// skips (or at <c>--limit</c>), so the replay position, which only ever passes records that were
/// sent, never passes a dead letter that a later replay should send.
/// </summary>
internal sealed class ReplayPlan
{
    private ReplayPlan(IReadOnlyList<DeadLetter> selected, IReadOnlyList<(int Partition, long Offset, int Waiting)> blocked)
    {
        Selected = selected;
        Blocked = blocked;
    }

    /// <summary>The dead letters to send, in partition and offset order.</summary>
    public IReadOnlyList<DeadLetter> Selected { get; }

    /// <summary>Partitions whose run stopped at a dead letter the filter skips, with how many later ones the filter selects.</summary>
    public IReadOnlyList<(int Partition, long Offset, int Waiting)> Blocked { get; }

    public static ReplayPlan Make(IEnumerable<DeadLetter> unreplayed, DeadLetterFilter filter, int? limit)
    {
        var selected = new List<DeadLetter>();
        var blocked = new List<(int, long, int)>();
        foreach (var partition in unreplayed.GroupBy(l => l.Partition).OrderBy(g => g.Key))
        {
            var letters = partition.OrderBy(l => l.Offset).ToList();
            var run = letters.TakeWhile(filter.Matches).ToList();
            if (limit is { } max)
            {
                run = [.. run.Take(Math.Max(0, max - selected.Count))];
            }

            selected.AddRange(run);
            if (run.Count < letters.Count && !filter.Matches(letters[run.Count]))
            {
                blocked.Add((partition.Key, letters[run.Count].Offset, letters.Skip(run.Count).Count(filter.Matches)));
            }
        }

        return new ReplayPlan(selected, blocked);
    }

    /// <summary>The consumer groups that failed the dead letters (<c>?</c> for one without the header), in order.</summary>
    public static IReadOnlyList<string> Groups(IEnumerable<DeadLetter> letters) =>
        [.. letters.Select(l => l.ConsumerGroup ?? "?").Distinct().Order(StringComparer.Ordinal)];
}
