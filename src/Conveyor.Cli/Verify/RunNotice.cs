namespace Conveyor.Cli.Verify;

/// <summary>What <see cref="RunWatch"/> has to say: how long the run has waited, and for what.</summary>
/// <param name="Unassigned">True while no worker has been assigned a partition yet: the group is still forming, nothing has stalled.</param>
/// <param name="Waited">How long: since the first worker started when unassigned, since the count last moved otherwise.</param>
internal readonly record struct RunNotice(bool Unassigned, TimeSpan Waited);
