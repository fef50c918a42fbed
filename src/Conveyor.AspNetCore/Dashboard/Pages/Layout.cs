using System.Globalization;
using System.Text;
using static Conveyor.AspNetCore.Dashboard.Pages.Html;

namespace Conveyor.AspNetCore.Dashboard.Pages;

/// <summary>The frame around every page: title bar, navigation, the refresh script and stylesheet (served from the assembly).</summary>
internal static class Layout
{
    private static readonly (string Path, string Label)[] Sections =
    [
        ("", "Overview"),
        ("/partitions", "Partitions"),
        ("/dead-letters", "Dead letters"),
        ("/fleet", "Fleet"),
        ("/configuration", "Configuration"),
    ];

    /// <param name="page">The page's context.</param>
    /// <param name="section">The navigation entry to mark: one of the paths above.</param>
    /// <param name="title">The page's heading.</param>
    /// <param name="body">The page's content, already HTML.</param>
    /// <param name="refresh">Whether the page refreshes itself.</param>
    public static string Render(PageContext page, string section, string title, string body, bool refresh = true)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · {E(page.Title)}</title>
            <link rel="stylesheet" href="{E(page.Root)}/assets/dashboard.css">
            <script src="{E(page.Root)}/assets/dashboard.js" defer></script>
            </head>
            <body data-refresh="{(refresh ? (int)page.Refresh.TotalMilliseconds : 0)}">
            <header class="top"><a class="brand" href="{E(page.Root)}/">{E(page.Title)}</a><nav>
            """);
        foreach (var (path, label) in Sections)
        {
            var current = path == section ? " aria-current=\"page\"" : "";
            html.Append(CultureInfo.InvariantCulture, $"""<a href="{E(page.Root)}{path}"{current}>{E(label)}</a>""");
        }

        html.Append(CultureInfo.InvariantCulture, $"""
            </nav><span class="mode">{(page.ActionsEnabled ? "actions enabled" : "read-only")}</span></header>
            <main>
            <h1>{E(title)}</h1>
            {body}
            <p class="updated">Updated <time data-testid="updated">{page.Now:yyyy-MM-dd HH:mm:ss}Z</time>{(refresh ? " · refreshes by itself" : "")}</p>
            </main>
            </body>
            </html>
            """);
        return html.ToString();
    }
}
