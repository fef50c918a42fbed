namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>What every page needs to know about the request and the dashboard.</summary>
/// <param name="Root">The dashboard's path (path base and prefix, no trailing slash); links start with it.</param>
/// <param name="Title">The title bar's text.</param>
/// <param name="Refresh">How often pages refresh themselves.</param>
/// <param name="ActionsEnabled">Whether replay buttons are shown (the app enabled actions).</param>
/// <param name="AntiforgeryField">The hidden form field with the antiforgery token; empty when actions are off.</param>
/// <param name="Now">When the page was made.</param>
internal sealed record PageContext(string Root, string Title, TimeSpan Refresh, bool ActionsEnabled, string AntiforgeryField, DateTimeOffset Now);
