using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Conveyor.Hosting.Dashboard.Pages;

/// <summary>Encoding and the few pieces every page shares.</summary>
internal static class Html
{
    /// <summary>The text HTML-encoded.</summary>
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>The text encoded for a query string value.</summary>
    public static string Q(string? text) => UrlEncoder.Default.Encode(text ?? "");

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string N(long? value) => value is { } v ? N(v) : "–";

    /// <summary>A small line chart of the rates (oldest first) as inline SVG, with the peak as its title.</summary>
    public static string Sparkline(IReadOnlyList<double> rates)
    {
        const int width = 300, height = 40;
        var peak = Math.Max(1, rates.Count == 0 ? 0 : rates.Max());
        var points = new StringBuilder();
        for (var i = 0; i < rates.Count; i++)
        {
            var x = rates.Count == 1 ? 0 : i * width / (double)(rates.Count - 1);
            var y = height - 2 - ((height - 4) * rates[i] / peak);
            points.Append(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#} ");
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"""<svg class="spark" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" aria-label="messages per second, last 5 minutes, peak {peak:0.#}"><title>messages per second over the last 5 minutes (peak {peak:0.#})</title><polyline points="{points.ToString().TrimEnd()}" /></svg>""");
    }

    /// <summary>A definition list entry for the stats row.</summary>
    public static string Stat(string label, string value, string testId, string? css = null) =>
        $"""<div class="stat {css}"><dt>{E(label)}</dt><dd data-testid="{testId}">{E(value)}</dd></div>""";
}
