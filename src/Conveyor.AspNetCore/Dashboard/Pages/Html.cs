using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;

namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>Encoding and the few pieces every page shares.</summary>
internal static class Html
{
    /// <summary>The text HTML-encoded.</summary>
    public static string E(string? text) => HtmlEncoder.Default.Encode(text ?? "");

    /// <summary>The text encoded for a query string value.</summary>
    public static string Q(string? text) => UrlEncoder.Default.Encode(text ?? "");

    public static string N(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string N(long? value) => value is { } v ? N(v) : "–";

    /// <summary>
    /// A line chart of the rates (oldest first, one per <paramref name="bucketSeconds"/>) across the
    /// card's width, with a messages-per-second scale (0, half and a round top) and a time axis.
    /// </summary>
    public static string RateChart(IReadOnlyList<double> rates, int bucketSeconds)
    {
        const int width = 300, height = 100;
        var top = RoundUp(rates.Count == 0 ? 0 : rates.Max());
        var points = new StringBuilder();
        for (var i = 0; i < rates.Count; i++)
        {
            var x = rates.Count == 1 ? 0 : i * width / (double)(rates.Count - 1);
            var y = height - (height * rates[i] / top);
            points.Append(CultureInfo.InvariantCulture, $"{x:0.#},{y:0.#} ");
        }

        var span = TimeSpan.FromSeconds(rates.Count * bucketSeconds);
        var minutes = span.TotalMinutes;
        return string.Create(CultureInfo.InvariantCulture, $"""
            <figure class="chart" data-testid="rate-chart"><div class="plot">
            <div class="y-axis" aria-hidden="true"><span data-testid="chart-top">{Scale(top)}</span><span>{Scale(top / 2)}</span><span>0</span></div>
            <svg class="spark" viewBox="0 0 {width} {height}" preserveAspectRatio="none" role="img" aria-label="messages per second over the last {minutes:0.#} minutes, scale 0 to {Scale(top)}"><line class="grid" x1="0" y1="0.5" x2="{width}" y2="0.5" /><line class="grid" x1="0" y1="{height / 2}" x2="{width}" y2="{height / 2}" /><line class="axis" x1="0" y1="{height - 0.5}" x2="{width}" y2="{height - 0.5}" /><polyline points="{points.ToString().TrimEnd()}" /></svg>
            <span></span><div class="x-axis" aria-hidden="true"><span>{minutes:0.#} min ago</span><span>{minutes / 2:0.#} min ago</span><span>now</span></div>
            </div><figcaption>messages/s handled successfully, per {bucketSeconds} s</figcaption></figure>
            """);
    }

    /// <summary>The smallest of 1, 2, 5, 10, 20, 50, ... at or above <paramref name="peak"/>.</summary>
    internal static double RoundUp(double peak)
    {
        var top = 1.0;
        while (top < peak)
        {
            top = top.ToString("0", CultureInfo.InvariantCulture)[0] switch { '1' => top * 2, '2' => top * 2.5, _ => top * 2 };
        }

        return top;
    }

    private static string Scale(double value) => value >= 1000
        ? value.ToString("#,0", CultureInfo.InvariantCulture)
        : value.ToString("0.#", CultureInfo.InvariantCulture);

    /// <summary>A definition list entry for the stats row.</summary>
    public static string Stat(string label, string value, string testId, string? css = null) =>
        $"""<div class="stat {css}"><dt>{E(label)}</dt><dd data-testid="{testId}">{E(value)}</dd></div>""";
}
