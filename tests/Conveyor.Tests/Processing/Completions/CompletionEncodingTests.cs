using Conveyor.Processing.Completions;
using FsCheck;
using FsCheck.Fluent;

namespace Conveyor.Tests.Processing.Completions;

public class CompletionEncodingTests
{
    private const int DefaultMaxBytes = 4096;

    /// <summary>A committed offset and finished offsets above it: dense runs, sparse singles, or both, within <paramref name="maxSpan"/>.</summary>
    private static Gen<(long Committed, long[] Finished)> Scenarios(long maxSpan) =>
        from committed in Gen.OneOf(Gen.Choose(0, 1_000), Gen.Choose(0, int.MaxValue).Select(c => (int)c), Gen.Constant(int.MaxValue))
        from density in Gen.Choose(1, 100)
        from length in Gen.Choose(0, (int)Math.Min(maxSpan, 30_000))
        from seed in Gen.Choose(0, int.MaxValue)
        select (Committed: (long)committed * 1_000 + committed, Finished: Finished(committed * 1_000L + committed, length, density, seed));

    private static long[] Finished(long committed, int length, int density, int seed)
    {
        var random = new Random(seed);
        var finished = new List<long>();
        var runFinished = random.Next(2) == 0;
        for (var i = 1; i <= length; i++)
        {
            if (random.Next(100) >= density)
            {
                runFinished = !runFinished; // low density flips often (sparse), high density keeps runs
            }

            if (runFinished)
            {
                finished.Add(committed + i);
            }
        }

        return [.. finished];
    }

    [Fact]
    public void Any_set_of_finished_offsets_within_the_span_reads_back_unchanged()
    {
        var maxSpan = CompletionEncoding.MaxSpan(DefaultMaxBytes);
        Prop.ForAll(Scenarios(maxSpan).ToArbitrary(), scenario =>
        {
            var (committed, finished) = scenario;
            var metadata = CompletionEncoding.Encode(committed, finished, DefaultMaxBytes);
            var map = CompletionEncoding.Decode(metadata, committed, out var problem);
            var read = new List<long>();
            map?.AddAbove(committed, read);
            return problem is null && map!.Committed == committed && read.SequenceEqual(finished) && map.Count == finished.Length;
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_metadata_never_exceeds_the_bound_and_keeps_exactly_the_offsets_within_the_span()
    {
        var scenarios =
            from maxBytes in Gen.Choose(512, 8_192)
            from scenario in Scenarios(2 * CompletionEncoding.MaxSpan(8_192))
            select (maxBytes, scenario.Committed, scenario.Finished);
        Prop.ForAll(scenarios.ToArbitrary(), s =>
        {
            var (maxBytes, committed, finished) = s;
            var metadata = CompletionEncoding.Encode(committed, finished, maxBytes);
            var read = new List<long>();
            CompletionEncoding.Decode(metadata, committed, out _)!.AddAbove(committed, read);
            var span = CompletionEncoding.MaxSpan(maxBytes);
            return metadata.Length <= maxBytes && read.SequenceEqual(finished.Where(f => f - committed <= span));
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void The_span_at_the_default_bound_holds_about_24_thousand_offsets()
    {
        Assert.Equal(24_448, CompletionEncoding.MaxSpan(DefaultMaxBytes));

        // The worst case for the bitset (every offset of the span, alternating with none for runs) still fits.
        long committed = long.MaxValue / 2;
        var alternating = Enumerable.Range(0, 24_448 / 2).Select(i => committed + 1 + (2L * i)).ToArray();
        Assert.True(CompletionEncoding.Encode(committed, alternating, DefaultMaxBytes).Length <= DefaultMaxBytes);
    }

    [Fact]
    public void The_smaller_form_is_written()
    {
        // One long run: a few bytes of run lengths instead of a bitset of 2,500 bytes.
        var run = Enumerable.Range(2, 20_000).Select(i => (long)i).ToArray();
        var runs = CompletionEncoding.Encode(0, run, DefaultMaxBytes);
        Assert.StartsWith("cv1r:", runs, StringComparison.Ordinal);
        Assert.True(runs.Length < 20);

        // Every other offset: the bitset (one bit each) is smaller than two run lengths each.
        var alternating = Enumerable.Range(1, 1_000).Select(i => 2L * i).ToArray();
        Assert.StartsWith("cv1b:", CompletionEncoding.Encode(0, alternating, DefaultMaxBytes), StringComparison.Ordinal);
    }

    [Fact]
    public void No_finished_offsets_write_no_metadata_and_no_metadata_reads_as_none()
    {
        Assert.Equal(string.Empty, CompletionEncoding.Encode(41, [], DefaultMaxBytes));
        foreach (var metadata in new[] { null, string.Empty })
        {
            var map = CompletionEncoding.Decode(metadata, 41, out var problem);
            Assert.Null(problem);
            Assert.Equal(0, map!.Count);
            Assert.Equal(41, map.Committed);
        }
    }

    [Theory]
    [InlineData("written by another tool", "not a Conveyor completion map")]
    [InlineData("cv2b:AAAA", "version this Conveyor does not read")]
    [InlineData("cv1b:not base64!", "not valid base64")]
    [InlineData("cv1b:", "without a valid committed offset")]
    [InlineData("cv1b:gA==", "without a valid committed offset")] // a varint that never ends
    [InlineData("cv1b:BQE=", "recorded for offset 5, but the committed offset is 7")]
    [InlineData("cv1r:BwAB/w==", "truncated run")]
    [InlineData("cv1r:BwAA", "run out of range")] // a run of no offsets
    public void Metadata_that_is_not_a_readable_map_of_this_commit_is_refused_with_the_reason(string metadata, string reason)
    {
        Assert.Null(CompletionEncoding.Decode(metadata, 7, out var problem));
        Assert.Contains(reason, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_bytes_after_a_valid_header_never_throw()
    {
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            foreach (var prefix in new[] { "cv1b:", "cv1r:" })
            {
                var map = CompletionEncoding.Decode(prefix + Convert.ToBase64String([7, .. bytes]), 7, out var problem);
                if ((map is null) == (problem is null))
                {
                    return false;
                }
            }

            return true;
        }).QuickCheckThrowOnFailure();
    }
}
