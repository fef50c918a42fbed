namespace Conveyor.Diagnostics;

/// <summary>A problem that waiting cannot heal, as a cluster probe found it.</summary>
/// <param name="Cause">What kind of problem it is, for the advice.</param>
/// <param name="Reason">What happened, in librdkafka's words or in <see cref="ForeignAnswer"/>'s.</param>
internal sealed record HopelessProblem(HopelessCause Cause, string Reason);
