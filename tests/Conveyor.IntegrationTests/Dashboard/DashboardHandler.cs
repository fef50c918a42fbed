using Conveyor.Hosting;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Dashboard;

/// <summary>
/// What the dashboard tests' handler does, set per test: wait at a gate before handling, and fail
/// the message keyed <see cref="PoisonKey"/> unless it is a replay (it carries conveyor.replayed.from).
/// </summary>
public sealed class HandlerScript
{
    public const string PoisonKey = "poison";
    public const string PoisonReason = "poison pill: this order cannot be settled";

    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _handled;

    public HandlerScript(bool gated = false)
    {
        if (!gated)
        {
            _gate.SetResult();
        }
    }

    /// <summary>Completes when a replayed poison message was handled.</summary>
    public TaskCompletionSource ReplayHandled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Handled => Volatile.Read(ref _handled);

    /// <summary>Lets every waiting and later message through.</summary>
    public void Open() => _gate.TrySetResult();

    internal async ValueTask HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken)
    {
        await _gate.Task.WaitAsync(cancellationToken);
        if (message.Key == PoisonKey)
        {
            if (!message.Headers.TryGetLastBytes("conveyor.replayed.from", out _))
            {
                throw new InvalidOperationException(PoisonReason);
            }

            ReplayHandled.TrySetResult();
        }

        Interlocked.Increment(ref _handled);
    }
}

/// <summary>The hosted handler: does what the test's <see cref="HandlerScript"/> says.</summary>
public sealed class DashboardHandler(HandlerScript script) : IMessageHandler<string, string>
{
    public ValueTask HandleAsync(MessageContext<string, string> message, CancellationToken cancellationToken) =>
        script.HandleAsync(message, cancellationToken);
}
