using System.Buffers;

namespace Conveyor.Processing.Completions;

/// <summary>
/// The text stored in an offset commit's metadata: which offsets above the committed one are
/// already finished. Version 1 has two forms, and the smaller one is written: <c>cv1b:</c> then
/// base64 of the committed offset (a varint) and a bitset (bit i: offset committed + 1 + i), or
/// <c>cv1r:</c> then base64 of the committed offset and alternating varint run lengths (unfinished,
/// finished, unfinished, ...) from committed + 1. Repeating the committed offset lets a reader tell
/// a map that belongs to another commit (an offset reset by a tool) from one it may trust.
/// </summary>
internal static class CompletionEncoding
{
    /// <summary>The largest metadata the reader accepts; a longer map is not Conveyor's (the option's upper bound).</summary>
    public const int MaxMetadataBytes = 1024 * 1024;

    private const string BitsetPrefix = "cv1b:";
    private const string RunsPrefix = "cv1r:";
    private const string FamilyPrefix = "cv";
    private const int PrefixLength = 5;
    private const int MaxVarintBytes = 10;

    /// <summary>
    /// How far above the committed offset finished offsets can be recorded in at most
    /// <paramref name="maxBytes"/>, whatever they are: the bitset of that span, with the prefix,
    /// the committed offset and base64, still fits.
    /// </summary>
    public static long MaxSpan(int maxBytes) => ((long)((maxBytes - PrefixLength) / 4 * 3) - MaxVarintBytes) * 8;

    /// <summary>
    /// The metadata for a commit of <paramref name="committed"/> with these finished offsets (increasing,
    /// all above it); empty when there are none. Never longer than <paramref name="maxBytes"/>: offsets
    /// farther than <see cref="MaxSpan"/> above the committed one are left out (handled again after a
    /// restart, never lost). The engine pauses a partition before that can happen.
    /// </summary>
    public static string Encode(long committed, IReadOnlyList<long> finished, int maxBytes)
    {
        var span = MaxSpan(maxBytes);
        var count = finished.Count;
        while (count > 0 && finished[count - 1] - committed > span)
        {
            count--;
        }

        if (count == 0)
        {
            return string.Empty;
        }

        var bitset = Bitset(committed, finished, count);
        var runs = Runs(committed, finished, count);
        return runs.WrittenCount < bitset.WrittenCount
            ? RunsPrefix + Convert.ToBase64String(runs.WrittenSpan)
            : BitsetPrefix + Convert.ToBase64String(bitset.WrittenSpan);
    }

    /// <summary>
    /// Reads metadata committed with <paramref name="committed"/>. Empty or missing metadata is an
    /// empty map. Anything else that is not a version-1 map of this very commit (another tool's
    /// text, a corrupt or truncated map, another version) gives null and says why in <paramref name="problem"/>.
    /// </summary>
    public static CompletionMap? Decode(string? metadata, long committed, out string? problem)
    {
        problem = null;
        if (string.IsNullOrEmpty(metadata))
        {
            return CompletionMap.Of(committed, []);
        }

        var isBitset = metadata.StartsWith(BitsetPrefix, StringComparison.Ordinal);
        if (!isBitset && !metadata.StartsWith(RunsPrefix, StringComparison.Ordinal))
        {
            problem = metadata.StartsWith(FamilyPrefix, StringComparison.Ordinal) && metadata.Contains(':', StringComparison.Ordinal)
                ? $"a completion map of a version this Conveyor does not read ('{Head(metadata)}')"
                : $"not a Conveyor completion map ('{Head(metadata)}')";
            return null;
        }

        if (metadata.Length > MaxMetadataBytes)
        {
            problem = $"{metadata.Length} characters, more than any completion map ({MaxMetadataBytes})";
            return null;
        }

        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(metadata[PrefixLength..]);
        }
        catch (FormatException)
        {
            problem = "a completion map that is not valid base64";
            return null;
        }

        var position = 0;
        if (!TryReadVarint(bytes, ref position, out var recorded) || recorded > long.MaxValue)
        {
            problem = "a completion map without a valid committed offset";
            return null;
        }

        if ((long)recorded != committed)
        {
            problem = $"a completion map recorded for offset {recorded}, but the committed offset is {committed} (reset by another tool?)";
            return null;
        }

        var finished = new List<long>();
        problem = isBitset ? ReadBitset(bytes, position, committed, finished) : ReadRuns(bytes, position, committed, finished);
        return problem is null ? CompletionMap.Of(committed, finished) : null;
    }

    private static ArrayBufferWriter<byte> Bitset(long committed, IReadOnlyList<long> finished, int count)
    {
        var writer = new ArrayBufferWriter<byte>();
        WriteVarint(writer, (ulong)committed);
        var length = (int)(((finished[count - 1] - committed - 1) >> 3) + 1);
        var bits = writer.GetSpan(length)[..length];
        bits.Clear();
        for (var i = 0; i < count; i++)
        {
            var index = finished[i] - committed - 1;
            bits[(int)(index >> 3)] |= (byte)(1 << (int)(index & 7));
        }

        writer.Advance(length);
        return writer;
    }

    private static ArrayBufferWriter<byte> Runs(long committed, IReadOnlyList<long> finished, int count)
    {
        var writer = new ArrayBufferWriter<byte>();
        WriteVarint(writer, (ulong)committed);
        var next = committed + 1; // the first offset not yet described
        var i = 0;
        while (i < count)
        {
            var start = finished[i];
            var end = start;
            while (i + 1 < count && finished[i + 1] == end + 1)
            {
                i++;
                end++;
            }

            i++;
            WriteVarint(writer, (ulong)(start - next));
            WriteVarint(writer, (ulong)(end - start + 1));
            next = end + 1;
        }

        return writer;
    }

    private static string? ReadBitset(byte[] bytes, int position, long committed, List<long> finished)
    {
        for (var i = position; i < bytes.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                if ((bytes[i] & (1 << bit)) != 0)
                {
                    finished.Add(committed + 1 + ((long)(i - position) << 3) + bit);
                }
            }
        }

        return null;
    }

    private static string? ReadRuns(byte[] bytes, int position, long committed, List<long> finished)
    {
        var maxSpan = MaxSpan(MaxMetadataBytes);
        var next = committed + 1;
        while (position < bytes.Length)
        {
            if (!TryReadVarint(bytes, ref position, out var gap) || !TryReadVarint(bytes, ref position, out var run))
            {
                return "a completion map with a truncated run";
            }

            if (run == 0 || gap > (ulong)maxSpan || run > (ulong)maxSpan || next + (long)gap + (long)run - 1 - committed > maxSpan)
            {
                return "a completion map with a run out of range";
            }

            next += (long)gap;
            for (var offset = next; offset < next + (long)run; offset++)
            {
                finished.Add(offset);
            }

            next += (long)run;
        }

        return null;
    }

    private static void WriteVarint(ArrayBufferWriter<byte> writer, ulong value)
    {
        var span = writer.GetSpan(MaxVarintBytes);
        var length = 0;
        while (value >= 0x80)
        {
            span[length++] = (byte)(value | 0x80);
            value >>= 7;
        }

        span[length++] = (byte)value;
        writer.Advance(length);
    }

    private static bool TryReadVarint(byte[] bytes, ref int position, out ulong value)
    {
        value = 0;
        for (var shift = 0; shift < 64 && position < bytes.Length; shift += 7)
        {
            var b = bytes[position++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
            {
                return true;
            }
        }

        return false;
    }

    private static string Head(string metadata) => metadata.Length <= 16 ? metadata : metadata[..16] + "...";
}
