using Conveyor.Processing.Forwarding;

namespace Conveyor.Tests.Processing.Forwarding;

public class OutputWindowTests
{
    [Fact]
    public async Task A_sender_waits_while_the_count_or_the_bytes_would_pass_the_bound_and_goes_when_room_is_given_back()
    {
        var window = new OutputWindow(maxOutputs: 4, maxBytes: 1_000);
        await window.EnterAsync(3, 100, CancellationToken.None);

        var byCount = window.EnterAsync(2, 100, CancellationToken.None).AsTask();
        Assert.False(byCount.IsCompleted);
        window.Leave(1, 50);
        await byCount.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(4, window.Outputs);

        window.Leave(4, 150);
        await window.EnterAsync(1, 900, CancellationToken.None);
        var byBytes = window.EnterAsync(1, 200, CancellationToken.None).AsTask();
        Assert.False(byBytes.IsCompleted);
        window.Leave(1, 900);
        await byBytes.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task Waiting_senders_go_in_order_of_arrival()
    {
        var window = new OutputWindow(maxOutputs: 2, maxBytes: 1_000);
        await window.EnterAsync(2, 10, CancellationToken.None);
        var first = window.EnterAsync(2, 10, CancellationToken.None).AsTask();
        var second = window.EnterAsync(1, 10, CancellationToken.None).AsTask();

        window.Leave(1, 5); // room for the second, not for the first: the second still waits its turn
        Assert.False(first.IsCompleted);
        Assert.False(second.IsCompleted);

        window.Leave(1, 5);
        await first.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(second.IsCompleted);
    }

    [Fact]
    public async Task An_empty_window_admits_one_sender_larger_than_the_bound()
    {
        var window = new OutputWindow(maxOutputs: 2, maxBytes: 100);
        await window.EnterAsync(5, 10_000, CancellationToken.None).AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(window.EnterAsync(1, 1, CancellationToken.None).IsCompleted);
    }

    [Fact]
    public async Task A_cancelled_sender_gives_its_turn_to_the_next()
    {
        var window = new OutputWindow(maxOutputs: 2, maxBytes: 1_000);
        await window.EnterAsync(1, 10, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = window.EnterAsync(2, 10, cancel.Token).AsTask();
        var next = window.EnterAsync(1, 10, CancellationToken.None).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        await next.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(2, window.Outputs);
    }

    [Fact]
    public void A_wait_for_room_allocates_nothing_once_waits_are_reused()
    {
        var window = new OutputWindow(maxOutputs: 1, maxBytes: 1_000);
        using var stopping = new CancellationTokenSource();
        Fill(window);
        for (var i = 0; i < 10; i++)
        {
            WaitOnce(window, stopping.Token); // warms up the pool and the JIT
        }

        const int waits = 1_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < waits; i++)
        {
            WaitOnce(window, stopping.Token);
        }

        var perWait = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)waits;
        Assert.True(perWait < 16, $"{perWait:F0} bytes allocated per wait for room");
    }

    [Fact]
    public async Task A_token_cancelled_after_its_wait_was_admitted_leaves_the_next_wait_alone()
    {
        var window = new OutputWindow(maxOutputs: 1, maxBytes: 1_000);
        await window.EnterAsync(1, 10, CancellationToken.None);
        using var first = new CancellationTokenSource();
        var admitted = window.EnterAsync(1, 10, first.Token);
        window.Leave(1, 10);
        await admitted;

        var next = window.EnterAsync(1, 10, CancellationToken.None); // reuses the first wait's waiter
        await first.CancelAsync();

        Assert.False(next.IsCompleted);
        window.Leave(1, 10);
        Assert.True(next.IsCompletedSuccessfully);
        await next;
    }

    private static void Fill(OutputWindow window) => window.EnterAsync(1, 10, CancellationToken.None).GetAwaiter().GetResult();

    // The sender holding the window's only room leaves; the one waiting is admitted, then leaves in turn.
    private static void WaitOnce(OutputWindow window, CancellationToken token)
    {
        var waiting = window.EnterAsync(1, 10, token);
        window.Leave(1, 10);
        waiting.GetAwaiter().GetResult();
    }
}
