using System.Text.RegularExpressions;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// A message that always fails (poison) under kills faster than its attempts
/// (<c>ScheduleGenerator.Churn(seed, fastKills: true)</c>: every 0.4-0.8 s). Its attempt count lives
/// in the process, so each new incarnation starts again at attempt 1 and the message is never
/// dead-lettered: the limit docs/failures.md describes, pinned here so that a change that carries
/// the count across restarts shows up. Retry topics with one attempt are the documented way out:
/// the first failure only waits for the retry record's acknowledgement.
/// </summary>
public sealed class PoisonUnderChurnTests
{
    [Fact]
    public void A_poison_message_under_kills_faster_than_its_attempts_is_retried_from_its_first_attempt_forever()
    {
        // Seed 14 (seed 8 until back-pressure stopped pausing every partition while handlers make
        // room, which moved that schedule's kills off the poison message). Another such seed:
        // `--churn --fast-kills --seeds 20` lists the livelocks.
        var result = SimWorld.Run(ScheduleGenerator.Churn(14, fastKills: true), trace: true);

        Assert.Equal("livelock", result.Kind); // p0 commits nothing: p0@63 always fails
        var firstAttempts = Regex.Count(result.Trace, "handler p0@63 key a attempt 1:");
        Assert.True(firstAttempts >= 10, $"p0@63 started again from attempt 1 {firstAttempts} times");
        Assert.Contains("still at 63 of", result.Violation, StringComparison.Ordinal);

        // An incarnation that reached the third attempt may dead-letter it, but a kill before the
        // commit loses that completion with the process, and the next starts again at attempt 1.
    }

    [Fact]
    public void Retry_topics_with_one_attempt_move_a_poison_message_on_under_the_same_kills()
    {
        var moved = SimWorld.Run(ScheduleGenerator.Churn(14, fastKills: true, retryTopics: true), trace: true);
        Assert.False(moved.Failed, moved.Violation);
        Assert.Contains("retry record of p0@63 acknowledged", moved.Trace, StringComparison.Ordinal);

        for (var seed = 0; seed < 5; seed++)
        {
            var result = SimWorld.Run(ScheduleGenerator.Churn(seed, fastKills: true, retryTopics: true));
            Assert.False(result.Failed, $"churn seed {seed}: {result.Violation}");
        }
    }
}
