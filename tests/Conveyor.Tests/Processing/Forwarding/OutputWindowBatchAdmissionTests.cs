using Conveyor.Processing.Forwarding;

namespace Conveyor.Tests.Processing.Forwarding;

/// <summary>
/// Workers waiting for room to take are admitted one for every batch of inputs' room free
/// (OutputWindow.Room.cs), so that an admitted worker goes on through a batch of inputs instead of
/// one wake-up per input; and none is left waiting once the window empties.
/// </summary>
public class OutputWindowBatchAdmissionTests
{
    // 64 outputs of one output each: a batch is 16 inputs (a quarter of the window, at most AdmitBatch).
    private const int Capacity = 4 * OutputWindow.AdmitBatch;
    private const int Batch = OutputWindow.AdmitBatch;

    [Fact]
    public async Task Room_for_fewer_inputs_than_a_batch_admits_no_waiting_worker_and_a_batch_admits_one()
    {
        var window = await FullWindowAsync();
        var first = window.HoldAsync();
        var second = window.HoldAsync();

        window.Leave(Batch - 1, Batch - 1);
        Assert.False(first.IsCompleted);
        Assert.Equal(2, window.WaitingToTake);

        window.Leave(1, 1); // a batch free: one worker, which goes on through it (HoldNextAsync)
        Assert.True(first.IsCompleted);
        Assert.False(second.IsCompleted);
        Assert.Equal(1, window.HeldRooms);
        await first;
    }

    [Fact]
    public async Task Room_for_several_batches_admits_one_waiting_worker_for_each()
    {
        var window = await FullWindowAsync();
        var waiting = Enumerable.Range(0, 4).Select(_ => window.HoldAsync()).ToList();

        window.Leave((2 * Batch) + 1, (2 * Batch) + 1); // 33 inputs free: two batches, beside the room they then hold

        Assert.Equal([true, true, false, false], waiting.Select(w => w.IsCompleted));
        Assert.Equal(2, window.HeldRooms);
        foreach (var admitted in waiting.Take(2))
        {
            await admitted;
        }
    }

    [Fact]
    public async Task Acknowledgements_that_free_less_than_a_batch_each_still_admit_every_waiting_worker_once_the_window_emptied()
    {
        var window = await FullWindowAsync();
        var waiting = Enumerable.Range(0, 3).Select(_ => window.HoldAsync()).ToList();

        // Five acknowledgements of a few inputs each, then nothing more in flight.
        var inFlight = Capacity;
        var admittedAt = new List<int>();
        foreach (var freed in new[] { 5, 5, 5, 5, Capacity - 20 })
        {
            window.Leave(freed, freed);
            inFlight -= freed;
            admittedAt.Add(waiting.Count(w => w.IsCompleted));
        }

        // Below a batch free (5, 10, 15): nobody; 20 free: one; empty: 64 free less the one held: all three.
        Assert.Equal([0, 0, 0, 1, 3], admittedAt);
        Assert.Equal(0, inFlight);
        foreach (var admitted in waiting)
        {
            await admitted;
        }
    }

    [Fact]
    public async Task Room_a_worker_gives_back_admits_a_waiting_one_only_with_a_batch_free()
    {
        var window = new OutputWindow(maxOutputs: Capacity, maxBytes: 1_000_000);
        await SizeAsync(window);
        for (var i = 0; i < Capacity; i++)
        {
            await window.HoldAsync(); // every room held by a worker, none in flight
        }

        var waiting = window.HoldAsync();
        for (var i = 0; i < Batch - 1; i++)
        {
            window.Release();
        }

        Assert.False(waiting.IsCompleted);
        window.Release();
        Assert.True(waiting.IsCompleted);
        await waiting;
    }

    [Fact]
    public async Task In_a_small_window_a_batch_is_one_input()
    {
        var window = new OutputWindow(maxOutputs: 3, maxBytes: 1_000);
        for (var i = 0; i < 3; i++)
        {
            await window.EnterAsync(1, 1, CancellationToken.None);
        }

        var waiting = window.HoldAsync();
        window.Leave(1, 1);

        Assert.True(waiting.IsCompleted);
        await waiting;
    }

    [Fact]
    public async Task The_bytes_bound_counts_the_batch_too()
    {
        // Room for 1,000 outputs, but for 64 inputs of 100 bytes: the batch is 16 inputs (1,600 bytes).
        var window = new OutputWindow(maxOutputs: 1_000, maxBytes: Capacity * 100);
        for (var i = 0; i < Capacity; i++)
        {
            await window.EnterAsync(1, 100, CancellationToken.None);
        }

        var waiting = window.HoldAsync();
        window.Leave(Batch - 1, (Batch - 1) * 100);
        Assert.False(waiting.IsCompleted);

        window.Leave(1, 100);
        Assert.True(waiting.IsCompleted);
        await waiting;
    }

    /// <summary>A window of <see cref="Capacity"/> outputs, full of inputs of one output and one byte each.</summary>
    private static async Task<OutputWindow> FullWindowAsync()
    {
        var window = new OutputWindow(maxOutputs: Capacity, maxBytes: 1_000_000);
        for (var i = 0; i < Capacity; i++)
        {
            await window.EnterAsync(1, 1, CancellationToken.None);
        }

        return window;
    }

    private static async Task SizeAsync(OutputWindow window)
    {
        await window.EnterAsync(1, 1, CancellationToken.None);
        window.Leave(1, 1);
    }
}
