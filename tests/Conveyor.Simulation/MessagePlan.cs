namespace Conveyor.Simulation;

/// <summary>
/// What happens to one handler call or dead letter, from the seed and the message alone (a hash,
/// not the run's random stream), so a shrunk schedule keeps every message's behaviour.
/// </summary>
internal static class MessagePlan
{
    /// <summary>The handler call's duration and whether it throws.</summary>
    public static (TimeSpan Duration, bool Fails) Handler(int seed, int partition, long offset, int attempt, int delivery)
    {
        var h = Hash(seed, partition, offset, attempt, delivery);
        var poison = Hash(seed, partition, offset, 0, -1) % 100 < 3; // fails every attempt: dead-lettered
        var roll = (int)(h % 1000);
        var duration = roll switch
        {
            < 500 => TimeSpan.Zero,
            < 800 => TimeSpan.FromMilliseconds((h >> 10) % 50),
            < 960 => TimeSpan.FromMilliseconds(50 + ((h >> 10) % 450)),
            _ => attempt == 1 ? TimeSpan.FromMilliseconds(3_500 + ((h >> 10) % 2_500)) : TimeSpan.FromMilliseconds(100),
        };
        var fails = poison || (h >> 24) % 100 < 12;
        return (duration, fails);
    }

    /// <summary>How long a dead letter's acknowledgement takes, and whether it fails.</summary>
    public static (TimeSpan Delay, bool Fails) DeadLetter(int seed, int partition, long offset, int delivery)
    {
        var h = Hash(seed, partition, offset, 99, delivery);
        return (TimeSpan.FromMilliseconds(1 + (h % 200)), (h >> 16) % 100 < 2);
    }

    /// <summary>How long a retry record's (or a dead letter's, on retry-topic schedules) acknowledgement takes (6 % late by 1-5 s), and whether it fails (3 %).</summary>
    public static (TimeSpan Delay, bool Fails) RetryWrite(int seed, int partition, long offset, int delivery)
    {
        var h = Hash(seed, partition, offset, 97, delivery);
        var delay = h % 100 < 6 ? TimeSpan.FromMilliseconds(1_000 + ((h >> 8) % 4_000)) : TimeSpan.FromMilliseconds(1 + ((h >> 8) % 200));
        return (delay, (h >> 24) % 100 < 3);
    }

    /// <summary>A number from the seed and a tag alone (a pipeline's choices).</summary>
    public static ulong Roll(int seed, int tag) => Hash(seed, -1, tag, 0, 0);

    /// <summary>A forwarded input's outputs: 0-3, from the seed and the message alone.</summary>
    public static int Outputs(int seed, int partition, long offset) => (int)(Hash(seed, partition, offset, 98, 0) % 4);

    /// <summary>One send of an output: how long its acknowledgement takes, whether it fails (<paramref name="failPerMille"/> of sends) or comes without an offset.</summary>
    public static (TimeSpan Delay, bool Fails, bool NoOffset) Output(int seed, int partition, long offset, int index, int send, int failPerMille)
    {
        var h = Hash(seed, partition, offset, 200 + index, send);
        var roll = (int)(h % 1000);
        var delay = roll < 60 ? TimeSpan.FromMilliseconds(1_000 + ((h >> 10) % 4_000)) : TimeSpan.FromMilliseconds(1 + ((h >> 10) % 100)); // 6 % late
        return (delay, (int)((h >> 24) % 1000) < failPerMille, (h >> 40) % 100 < 4);
    }

    private static ulong Hash(int seed, int partition, long offset, int attempt, int delivery)
    {
        var x = (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        x = Mix(x ^ (ulong)partition);
        x = Mix(x ^ (ulong)offset);
        x = Mix(x ^ (ulong)(uint)attempt);
        return Mix(x ^ (ulong)(uint)delivery);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
