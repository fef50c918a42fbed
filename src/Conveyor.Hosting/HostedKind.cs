namespace Conveyor.Hosting;

/// <summary>Which of the three registrations a hosted processor came from.</summary>
internal enum HostedKind
{
    /// <summary><c>AddConveyorProcessor</c>.</summary>
    Processor,

    /// <summary><c>AddConveyorForwarder</c>.</summary>
    Forwarder,

    /// <summary><c>AddConveyorBatchProcessor</c>.</summary>
    Batch,
}
