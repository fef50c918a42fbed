namespace Conveyor.Processing.Transactions;

/// <summary>One broker's highest <c>TxnOffsetCommit</c> version, as it answered ApiVersions.</summary>
internal sealed record BrokerSupport(int BrokerId, string Address, short MaxVersion);
