namespace Conveyor.Processing.Engine;

/// <summary>
/// The handler as the engine runs it: a <see cref="MessageHandler{TKey, TValue}"/> returns null (the
/// message is done when the call is), a pipelined forwarder returns what it handed off and is
/// still to be acknowledged.
/// </summary>
internal delegate ValueTask<IPendingAcknowledgement?> StagedHandler<TKey, TValue>(MessageContext<TKey, TValue> message, CancellationToken cancellationToken);

/// <summary>Adapts the public handler shapes to <see cref="StagedHandler{TKey, TValue}"/>.</summary>
internal static class StagedHandlers
{
    /// <summary>A plain handler: done when its call is. Costs nothing extra when the call completes synchronously.</summary>
    public static StagedHandler<TKey, TValue> From<TKey, TValue>(MessageHandler<TKey, TValue> handler) => (message, cancellationToken) =>
    {
        var call = handler(message, cancellationToken);
        return call.IsCompletedSuccessfully ? default : AwaitAsync(call);
    };

    // Pooled: an asynchronous handler completes this way for every message (awaited once, by the executor).
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<IPendingAcknowledgement?> AwaitAsync(ValueTask call)
    {
        await call.ConfigureAwait(false);
        return null;
    }
}
