using Conveyor.Processing;

namespace Conveyor.Tests.Processing;

/// <summary>A processor's run and its disposal (<see cref="RunOnce"/>): disposal stops the run and returns only once the run's task has ended.</summary>
public class RunOnceTests
{
    [Fact]
    public async Task After_disposal_returns_the_task_the_caller_holds_has_completed_every_time()
    {
        // The run ends as the disposal's cancellation reaches it; the caller's task must be complete
        // when DisposeAsync returns, not merely the run's body (a flag set in the run's last lines
        // could release the disposal a moment before the task completes).
        var unfinished = 0;
        for (var i = 0; i < 3_000; i++)
        {
            var once = new RunOnce();
            var running = once.RunAsync(WaitForStopAsync, CancellationToken.None);
            await once.DisposeAsync();
            if (!running.IsCompletedSuccessfully)
            {
                unfinished++;
            }
        }

        Assert.Equal(0, unfinished);
    }

    [Fact]
    public async Task A_run_that_fails_fails_the_callers_task_and_disposal_still_returns()
    {
        var once = new RunOnce();
        var running = once.RunAsync(_ => Task.FromException(new InvalidDataException("broken")), CancellationToken.None);

        await once.DisposeAsync();

        Assert.True(running.IsFaulted);
        Assert.IsType<InvalidDataException>(running.Exception!.InnerException);
    }

    [Fact]
    public async Task A_second_run_and_a_run_after_disposal_are_refused()
    {
        var once = new RunOnce();
        var running = once.RunAsync(WaitForStopAsync, CancellationToken.None);
        await Assert.ThrowsAsync<InvalidOperationException>(() => once.RunAsync(WaitForStopAsync, CancellationToken.None));
        await once.DisposeAsync();
        await running;

        var disposed = new RunOnce();
        await disposed.DisposeAsync();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => disposed.RunAsync(WaitForStopAsync, CancellationToken.None));
    }

    private static async Task WaitForStopAsync(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stopping);
        }
        catch (OperationCanceledException)
        {
            // the stop this test asked for
        }
    }
}
