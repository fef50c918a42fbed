using Conveyor.Processing.Forwarding;

namespace Conveyor.Tests.Processing.Forwarding;

/// <summary>Room to take: workers wait in the output window before they take a message (OutputWindow.Room.cs).</summary>
public class OutputWindowRoomTests
{
    [Fact]
    public async Task A_full_window_holds_a_worker_back_until_acknowledgements_make_room_for_an_input_of_the_last_size()
    {
        var window = new OutputWindow(maxOutputs: 4, maxBytes: 1_000);
        await window.EnterAsync(2, 10, CancellationToken.None);
        await window.EnterAsync(2, 10, CancellationToken.None);

        var hold = window.HoldAsync();
        Assert.False(hold.IsCompleted);
        window.Leave(2, 10);

        Assert.True(hold.IsCompleted); // room for one input of two outputs
        await hold;
        Assert.Equal(1, window.HeldRooms);
    }

    [Fact]
    public async Task Room_held_counts_until_its_message_ended_and_a_worker_beyond_it_waits()
    {
        var window = new OutputWindow(maxOutputs: 4, maxBytes: 1_000);
        await SizeAsync(window, outputs: 2);

        await window.HoldAsync();
        await window.HoldAsync();
        var third = window.HoldAsync(); // two inputs of two outputs fill the window
        Assert.False(third.IsCompleted);

        window.Release();
        Assert.True(third.IsCompleted);
        await third;
        Assert.Equal(2, window.HeldRooms);
    }

    [Fact]
    public async Task The_bytes_bound_holds_workers_back_too()
    {
        var window = new OutputWindow(maxOutputs: 100, maxBytes: 1_000);
        await SizeAsync(window, outputs: 1, bytes: 400);

        await window.HoldAsync();
        await window.HoldAsync();
        Assert.False(window.HoldAsync().IsCompleted); // 1,200 bytes would pass the bound
    }

    [Fact]
    public async Task A_sender_waiting_for_room_goes_before_any_worker()
    {
        var window = new OutputWindow(maxOutputs: 4, maxBytes: 1_000);
        await window.EnterAsync(2, 10, CancellationToken.None);
        await window.EnterAsync(2, 10, CancellationToken.None);
        var sender = window.EnterAsync(2, 10, CancellationToken.None); // its input was taken already
        var hold = window.HoldAsync();

        window.Leave(2, 10);
        Assert.True(sender.IsCompleted);
        Assert.False(hold.IsCompleted);

        window.Leave(2, 10);
        Assert.True(hold.IsCompleted);
        await sender;
        await hold;
    }

    [Fact]
    public async Task An_empty_window_lets_one_worker_take_however_large_the_last_input_was()
    {
        var window = new OutputWindow(maxOutputs: 2, maxBytes: 1_000);
        await SizeAsync(window, outputs: 5);

        await window.HoldAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(window.HoldAsync().IsCompleted);
    }

    [Fact]
    public async Task A_worker_with_room_for_its_next_message_goes_on_before_those_waiting_and_one_without_waits()
    {
        var window = new OutputWindow(maxOutputs: 4, maxBytes: 1_000);
        await SizeAsync(window, outputs: 2);
        await window.HoldAsync();
        await window.HoldAsync();
        var waiting = window.HoldAsync();

        var next = window.HoldNextAsync(); // gives back its room and holds it again: no wake-up
        Assert.True(next.IsCompleted);
        await next;
        Assert.False(waiting.IsCompleted);

        await window.EnterAsync(2, 10, CancellationToken.None); // the outputs of the message it ran fill the window
        var after = window.HoldNextAsync();
        Assert.False(after.IsCompleted);
        Assert.Equal(2, window.WaitingToTake);
    }

    [Fact]
    public async Task Opening_lets_every_waiting_worker_through_and_later_ones_do_not_wait()
    {
        var window = new OutputWindow(maxOutputs: 2, maxBytes: 1_000);
        await window.EnterAsync(2, 10, CancellationToken.None);
        var first = window.HoldAsync();
        var second = window.HoldAsync();

        window.Open();

        Assert.True(first.IsCompleted);
        Assert.True(second.IsCompleted);
        Assert.True(window.HoldAsync().IsCompleted);
        await first;
        await second;
    }

    [Fact]
    public async Task A_wait_to_take_allocates_nothing_once_waits_are_reused()
    {
        var window = new OutputWindow(maxOutputs: 1, maxBytes: 1_000);
        await SizeAsync(window, outputs: 1);
        await window.HoldAsync(); // the one room there is
        for (var i = 0; i < 10; i++)
        {
            WaitOnce(window); // warms up the pool and the JIT
        }

        const int waits = 1_000;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < waits; i++)
        {
            WaitOnce(window);
        }

        var perWait = (GC.GetAllocatedBytesForCurrentThread() - before) / (double)waits;
        Assert.True(perWait < 16, $"{perWait:F0} bytes allocated per wait to take");
    }

    /// <summary>Sizes the window's holds: an input of this size enters and is acknowledged.</summary>
    private static async Task SizeAsync(OutputWindow window, int outputs, long bytes = 10)
    {
        await window.EnterAsync(outputs, bytes, CancellationToken.None);
        window.Leave(outputs, bytes);
    }

    // The worker holding the only room waits for its next; another's release admits it.
    private static void WaitOnce(OutputWindow window)
    {
        window.EnterAsync(1, 10, CancellationToken.None).GetAwaiter().GetResult(); // its message's output fills the window
        var next = window.HoldNextAsync();
        window.Leave(1, 10);
        next.GetAwaiter().GetResult();
    }
}
