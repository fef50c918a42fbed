namespace Conveyor.Processing.Engine;

/// <summary>
/// Room downstream for what a worker's next message will write (a forwarder's output window),
/// waited for before the take: a worker that must wait for it holds no message meanwhile, so an
/// input is never taken, deserialized and handled only to wait with its outputs, and the wait is
/// one suspension at the top of the worker's loop. A hint for when to take: the bound itself is
/// still kept where the outputs are handed over.
/// </summary>
internal interface ITakeRoom
{
    /// <summary>Holds room for one message, waiting (in order of arrival) until there is some; at once once <see cref="Open"/> was called.</summary>
    ValueTask HoldAsync();

    /// <summary>
    /// The message taken with the held room ended (its outputs were handed over, or it wrote none):
    /// holds room for the worker's next message instead, at once when there is some, else waiting
    /// behind the workers already waiting.
    /// </summary>
    ValueTask HoldNextAsync();

    /// <summary>The worker is done (it ends, or its message failed): the room it held goes back.</summary>
    void Release();

    /// <summary>The run stops: every wait ends now and later ones do not wait, so the workers reach the dispatcher, which ends them.</summary>
    void Open();
}
