using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Conveyor.Diagnostics;

/// <summary>
/// The names to listen to: one <see cref="Meter"/> and one <see cref="ActivitySource"/>, both
/// called <c>Conveyor</c>. With OpenTelemetry: <c>AddMeter(ConveyorDiagnostics.MeterName)</c> and
/// <c>AddSource(ConveyorDiagnostics.ActivitySourceName)</c>.
/// </summary>
public static class ConveyorDiagnostics
{
    /// <summary>The name of Conveyor's meter.</summary>
    public const string MeterName = "Conveyor";

    /// <summary>The name of Conveyor's activity source.</summary>
    public const string ActivitySourceName = "Conveyor";

    internal static readonly ActivitySource ActivitySource = new(ActivitySourceName, Version);

    internal static readonly Meter Meter = new(MeterName, Version);

    private static string? Version => typeof(ConveyorDiagnostics).Assembly.GetName().Version?.ToString();
}
