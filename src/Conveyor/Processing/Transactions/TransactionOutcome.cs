namespace Conveyor.Processing.Transactions;

/// <summary>How an attempt to commit the current transaction ended.</summary>
internal enum TransactionOutcome
{
    /// <summary>Outputs and offsets are committed; a new transaction has begun.</summary>
    Committed,

    /// <summary>Nothing to commit (no offsets moved, nothing produced); the transaction stays open.</summary>
    Empty,

    /// <summary>Aborted: its outputs are discarded and the partitions must be rewound; a new transaction has begun.</summary>
    Aborted,

    /// <summary>The producer failed fatally (e.g. fenced by a newer instance): the processor must stop.</summary>
    Fatal,
}
