using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing;

public class DrainRateTests
{
    private static readonly DateTime Start = new(2026, 12, 6, 12, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void The_drain_rate_counts_what_left_the_buffer_between_looks()
    {
        var rate = new DrainRate();
        rate.Look(Start, buffered: 0);
        rate.Submitted(1_000);
        rate.Look(Start.AddMilliseconds(1), buffered: 1_000);
        Assert.Null(rate.PerSecond); // no span long enough yet

        rate.Submitted(500);
        rate.Look(Start.AddMilliseconds(101), buffered: 1_100); // 400 left the buffer in 100 ms

        Assert.Equal(4_000, rate.PerSecond!.Value, precision: 6);
    }

    [Fact]
    public void Idle_time_with_nothing_buffered_does_not_lower_the_drain_rate()
    {
        var rate = new DrainRate();
        rate.Look(Start, buffered: 0);
        rate.Look(Start.AddSeconds(5), buffered: 0); // nothing fetched for 5 s
        rate.Submitted(1_000);
        rate.Look(Start.AddSeconds(5).AddMilliseconds(1), buffered: 1_000); // the span starts here
        rate.Look(Start.AddSeconds(5).AddMilliseconds(101), buffered: 0);

        Assert.Equal(10_000, rate.PerSecond!.Value, precision: 6);
    }
}
