using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>What <see cref="ClusterDiagnosis.Ask"/> found: the cluster's metadata, or why there is none.</summary>
/// <param name="Metadata">The cluster's answer; null when it gave none.</param>
/// <param name="Trouble">Why not; null when it answered.</param>
/// <param name="Reason">librdkafka's words for the trouble; null when it answered.</param>
/// <param name="Cause">What kind of problem it is when <paramref name="Trouble"/> is <see cref="ClusterTrouble.Hopeless"/>; null otherwise.</param>
internal sealed record ClusterAnswer(Metadata? Metadata, ClusterTrouble? Trouble, string? Reason, HopelessCause? Cause = null);
