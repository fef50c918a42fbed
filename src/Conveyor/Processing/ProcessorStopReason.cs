namespace Conveyor.Processing;

/// <summary>Why a processor stopped with a <see cref="ProcessorStoppedException"/>.</summary>
public enum ProcessorStopReason
{
    /// <summary>A message failed for good and <see cref="ProcessorOptions.OnFailure"/> is <see cref="FailureAction.StopProcessor"/>; the exception's inner exception is the handler's.</summary>
    MessageFailed,

    /// <summary>The cluster or a topic stayed unavailable and <see cref="ProcessorOptions.FailWhenUnavailable"/> is set.</summary>
    Unavailable,

    /// <summary>The consumer, or an exactly-once forwarder's transactional producer (fenced by a newer one, a call that never returned), reported a fatal error: it cannot go on.</summary>
    ClientFatal,

    /// <summary>A forwarder's output producer reported a fatal error.</summary>
    OutputProducerFatal,

    /// <summary>Exactly-once could not start: the transactional producer could not be initialised, or a broker cannot fence a late transactional commit (KIP-447).</summary>
    TransactionsUnavailable,
}
