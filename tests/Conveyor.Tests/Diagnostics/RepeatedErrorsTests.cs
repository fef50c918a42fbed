using Conveyor.Diagnostics;

namespace Conveyor.Tests.Diagnostics;

public class RepeatedErrorsTests
{
    private const string Refused = "127.0.0.1:40123/1: Connect to ipv4#127.0.0.1:40123 failed: Connection refused (after 0ms in state CONNECT)";

    private readonly ManualClock _clock = new(new DateTimeOffset(2026, 12, 6, 14, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_repeated_error_is_written_once_then_with_its_count_once_per_window()
    {
        var errors = new RepeatedErrors(_clock);
        List<string?> written = [errors.Note(Refused)];
        for (var i = 0; i < 212; i++)
        {
            _clock.Advance(TimeSpan.FromMilliseconds(100));
            written.Add(errors.Note(Refused.Replace("after 0ms", $"after {i % 3}ms", StringComparison.Ordinal)));
        }

        _clock.Advance(TimeSpan.FromSeconds(10));
        written.Add(errors.Note(Refused));

        Assert.Equal(
            [Refused, Refused + " (repeated 213 times in the last 31 s)"],
            written.OfType<string>());
    }

    [Fact]
    public void Different_errors_are_each_written_the_first_time()
    {
        var errors = new RepeatedErrors(_clock);

        Assert.Equal(Refused, errors.Note(Refused));
        Assert.Equal("1/1 brokers are down", errors.Note("1/1 brokers are down"));
        Assert.Null(errors.Note("1/1 brokers are down, 3 identical error(s) suppressed"));
    }

    [Fact]
    public void The_client_working_again_is_one_line_and_starts_the_rule_over()
    {
        var errors = new RepeatedErrors(_clock);
        errors.Note(Refused);
        _clock.Advance(TimeSpan.FromSeconds(1));
        errors.Note(Refused);

        Assert.Equal("the client works again after 2 errors since 14:00:00 UTC", errors.Recovered());
        Assert.Null(errors.Recovered());
        Assert.Equal(Refused, errors.Note(Refused));
    }
}
