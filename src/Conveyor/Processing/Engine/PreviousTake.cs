namespace Conveyor.Processing.Engine;

/// <summary>What is left to do for a worker's previous message when it takes its next (<see cref="Dispatcher.TakeNextAsync"/>), under the same lock.</summary>
internal enum PreviousTake
{
    /// <summary>Nothing: its end released the take already (or there was none).</summary>
    Released,

    /// <summary>The take ends (the message was dropped, suspended for a retry, or ended otherwise).</summary>
    Release,

    /// <summary>It handed its outputs off: its lane moves on, it runs until they are acknowledged (<see cref="Dispatcher.HandOff"/>); the take ends.</summary>
    HandOff,

    /// <summary>It is finished (<see cref="Dispatcher.Finish"/> with <c>finished</c>); the take ends.</summary>
    Finish,
}
