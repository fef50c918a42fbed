using Conveyor.Cli.Kafka;
using Conveyor.Cli.Tutorial;

namespace Conveyor.IntegrationTests.Support;

/// <summary>A tutorial consumer running on its own thread, with its output recorded.</summary>
internal sealed class RunningConsumer : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private RunningConsumer(ClientSettings settings, ConsumeSettings consume)
    {
        Consumer = new TutorialConsumer(settings, consume, Output, Errors);
        Outcome = Task.Factory.StartNew(
            () => Consumer.Run(_stop.Token), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    public LineRecorder Output { get; } = new();

    public LineRecorder Errors { get; } = new();

    public TutorialConsumer Consumer { get; }

    public Task<ConsumeOutcome> Outcome { get; }

    public static RunningConsumer Start(ClientSettings settings, ConsumeSettings consume) => new(settings, consume);

    /// <summary>Asks the consumer to stop (as Ctrl-C does) and waits until it has left the group.</summary>
    public async Task<ConsumeOutcome> StopAsync()
    {
        await _stop.CancelAsync();
        return await Outcome.WaitAsync(Timeouts.Stop);
    }

    public async ValueTask DisposeAsync()
    {
        if (!Outcome.IsCompleted)
        {
            await StopAsync();
        }

        Consumer.Dispose();
        _stop.Dispose();
    }
}
