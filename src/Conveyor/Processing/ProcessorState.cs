namespace Conveyor.Processing;

/// <summary>Where a <see cref="KafkaProcessor{TKey, TValue}"/> is in its life.</summary>
public enum ProcessorState
{
    /// <summary><see cref="KafkaProcessor{TKey, TValue}.RunAsync"/> has not been called.</summary>
    NotStarted,

    /// <summary>Consuming and processing.</summary>
    Running,

    /// <summary>Stopped because it was asked to (its token was cancelled).</summary>
    Stopped,

    /// <summary>Stopped by a fatal client error or a <see cref="FailureAction.StopProcessor"/> failure.</summary>
    Failed,
}
