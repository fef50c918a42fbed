using Conveyor.Processing.Commits;

namespace Conveyor.Tests.Processing.Commits;

public class CommitScheduleTests
{
    private static readonly DateTime Start = new(2026, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    [Fact]
    public void A_commit_is_due_when_the_interval_passed()
    {
        var schedule = new CommitSchedule(TimeSpan.FromSeconds(5), everyMessages: null);
        schedule.Restart(Start);

        Assert.False(schedule.IsDue(Start.AddSeconds(4.9)));
        Assert.True(schedule.IsDue(Start.AddSeconds(5)));
    }

    [Fact]
    public void A_commit_is_due_once_enough_messages_finished_and_the_count_starts_again_after_it()
    {
        var schedule = new CommitSchedule(TimeSpan.FromHours(1), everyMessages: 3);
        schedule.Restart(Start);
        schedule.MessageFinished();
        schedule.MessageFinished();
        Assert.False(schedule.IsDue(Start));

        schedule.MessageFinished();
        Assert.True(schedule.IsDue(Start));

        schedule.Restart(Start);
        Assert.False(schedule.IsDue(Start));
        Assert.Equal(0, schedule.Finished);
    }

    [Fact]
    public void Without_a_message_count_only_the_interval_counts()
    {
        var schedule = new CommitSchedule(TimeSpan.FromHours(1), everyMessages: null);
        schedule.Restart(Start);
        for (var i = 0; i < 10_000; i++)
        {
            schedule.MessageFinished();
        }

        Assert.False(schedule.IsDue(Start));
    }

    [Fact]
    public void Without_a_message_count_finished_messages_are_not_counted()
    {
        // Every worker reports every message: without a count to reach, no shared counter is touched.
        var schedule = new CommitSchedule(TimeSpan.FromHours(1), everyMessages: null);
        schedule.Restart(Start);
        schedule.MessageFinished();

        Assert.Equal(0, schedule.Finished);
    }

    [Fact]
    public void A_failed_commit_is_tried_again_after_the_retry_delay_not_the_interval()
    {
        var schedule = new CommitSchedule(TimeSpan.FromHours(1), everyMessages: null);
        schedule.Restart(Start);
        schedule.RetryAfter(Start, TimeSpan.FromSeconds(1));

        Assert.True(schedule.IsDue(Start.AddSeconds(1)));
    }
}
