using Microsoft.AspNetCore.Http;

namespace Conveyor.AspNetCore.Dashboard;

/// <summary>The stylesheet and script, embedded in the assembly so the dashboard works offline (no CDN, no npm).</summary>
internal static class DashboardAssets
{
    private static readonly Dictionary<string, (byte[] Content, string Type)> Files = new(StringComparer.Ordinal)
    {
        ["dashboard.css"] = (Load("dashboard.css"), "text/css; charset=utf-8"),
        ["dashboard.js"] = (Load("dashboard.js"), "text/javascript; charset=utf-8"),
    };

    public static IResult Serve(string name) =>
        Files.TryGetValue(name, out var file) ? Results.Bytes(file.Content, file.Type) : Results.NotFound();

    private static byte[] Load(string name)
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream($"Conveyor.AspNetCore.Dashboard.{name}")
            ?? throw new InvalidOperationException($"The dashboard's {name} is not embedded in {typeof(DashboardAssets).Assembly.GetName().Name}.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
