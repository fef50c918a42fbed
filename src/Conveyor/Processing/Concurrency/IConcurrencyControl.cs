namespace Conveyor.Processing.Concurrency;

/// <summary>The processor's live limit on running handlers, changed at runtime by operators or the adaptive limit.</summary>
internal interface IConcurrencyControl
{
    /// <summary>How many handlers may run at once now.</summary>
    int Limit { get; }

    /// <summary>Sets the limit (clamped to the processor's bounds) and says why, for the status and logs.</summary>
    void SetLimit(int limit, string reason);
}
