namespace Conveyor.Diagnostics;

/// <summary>A processor's last failure, for its health check and dashboard.</summary>
/// <param name="At">When it happened.</param>
/// <param name="Message">What happened.</param>
internal sealed record LastError(DateTimeOffset At, string Message);
