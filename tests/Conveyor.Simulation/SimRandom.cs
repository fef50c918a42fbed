namespace Conveyor.Simulation;

/// <summary>What a random stream of a run is for; each purpose (and member, partition) has its own.</summary>
internal enum RandomPurpose
{
    /// <summary>A member's fetches of one partition: batch sizes and delays.</summary>
    Fetch = 1,

    /// <summary>A member's retry jitter.</summary>
    Jitter,

    /// <summary>A member's asynchronous commit sends.</summary>
    CommitSend,

    /// <summary>The modelled other member's pace in one partition.</summary>
    Others,

    /// <summary>Anything else (kept for code that asks the run's one stream).</summary>
    General,
}

/// <summary>
/// The run's random streams, one per purpose, member and partition, each seeded from a hash of the
/// schedule's seed and its key. Removing a fault changes the order in which things happen, but
/// not what one stream yields next, so a shrunk schedule keeps the rest of the run's choices
/// (one shared stream shifted every later choice and made most removals look like new runs).
/// </summary>
/// <param name="seed">The schedule's seed.</param>
/// <param name="oneStream">Every purpose shares one stream, as before: only to measure what the streams gain a shrink.</param>
internal sealed class SimRandom(int seed, bool oneStream = false)
{
    private readonly Dictionary<(RandomPurpose, int, int), Random> _streams = [];

    public Random For(RandomPurpose purpose, int member = 0, int partition = 0)
    {
        var key = oneStream ? (RandomPurpose.General, 0, 0) : (purpose, member, partition);
        if (!_streams.TryGetValue(key, out var stream))
        {
            _streams[key] = stream = new Random(Seed(seed, (int)purpose, member, partition));
        }

        return stream;
    }

    private static int Seed(int seed, int purpose, int member, int partition)
    {
        var x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        x = Mix(x ^ (ulong)(uint)purpose);
        x = Mix(x ^ (ulong)(uint)member);
        x = Mix(x ^ (ulong)(uint)partition);
        return (int)(x & 0x7FFFFFFF);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
