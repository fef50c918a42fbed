namespace Conveyor.Processing.Transactions;

/// <summary>
/// What <see cref="FencingProbe"/> learned: the brokers that answered, those that did not, and why
/// the answer may be incomplete.
/// </summary>
internal sealed record FencingSupport(IReadOnlyList<BrokerSupport> Brokers, IReadOnlyList<string> Unknown, string? Incomplete)
{
    /// <summary>Brokers that answered with a version too old to fence (Kafka before 2.5).</summary>
    public IReadOnlyList<BrokerSupport> Unfenced => [.. Brokers.Where(b => b.MaxVersion < FencingProbe.FencingVersion)];

    /// <summary>The one-line refusal when a broker cannot fence; null when none answered so.</summary>
    public string? Refusal => Unfenced is [var first, ..] unfenced
        ? $"Exactly-once needs brokers that fence late offset commits (KIP-447, Apache Kafka 2.5 or later), but broker {first.BrokerId} ({first.Address}) "
          + $"supports TxnOffsetCommit only up to version {first.MaxVersion} (3 is needed){(unfenced.Count > 1 ? $", and {unfenced.Count - 1} more" : "")}. "
          + "Upgrade the brokers to 2.5 or later, or use DeliveryGuarantee.AtLeastOnce."
        : null;

    /// <summary>The warning when some brokers could not be asked; null when every broker answered.</summary>
    public string? Warning => Incomplete is null
        ? null
        : $"Could not learn whether every broker fences late offset commits (KIP-447, Kafka 2.5+): {Incomplete}"
          + (Unknown.Count > 0 ? $" from broker {string.Join(", ", Unknown)}" : "")
          + ". Exactly-once goes on; it holds only on brokers 2.5 or later.";
}
