namespace Conveyor.AspNetCore.Dashboard;

/// <summary>How <c>MapConveyorDashboard</c> serves the dashboard.</summary>
public sealed class ConveyorDashboardOptions
{
    /// <summary>
    /// The authorization policy a user must meet to replay dead letters and send fleet commands from the dashboard. Null (the
    /// default) keeps the dashboard read-only: no action is shown or mapped. When set, actions are
    /// POSTs that need this policy and an antiforgery token (register <c>AddAntiforgery()</c> and
    /// <c>AddAuthorization()</c> with the policy).
    /// </summary>
    public string? ActionsPolicy { get; set; }

    /// <summary>How often the pages refresh themselves; 2 seconds by default, at least 0.5 s.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>The title bar's text; <c>Conveyor</c> by default.</summary>
    public string? Title { get; set; }
}
