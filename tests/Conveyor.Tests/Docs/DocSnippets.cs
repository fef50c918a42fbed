using System.Text;

namespace Conveyor.Tests.Docs;

/// <summary>
/// The code blocks of the repository's Markdown pages and the compiled sources they come from. A
/// block preceded by a line <c>&lt;!-- snippet: PATH --&gt;</c> or <c>&lt;!-- snippet: PATH#REGION --&gt;</c>
/// (in package READMEs <c>[snippet]: # (PATH)</c>, a link definition that renders as nothing where
/// HTML is not allowed, as on a package page)
/// shows that file of <c>docs/snippets</c> whole, or the lines between <c>#region REGION</c> and its
/// <c>#endregion</c> (their common indentation removed).
/// </summary>
internal static class DocSnippets
{
    private const string MarkerStart = "<!-- snippet: ";
    private const string LinkMarkerStart = "[snippet]: # (";
    private static readonly string[] CSharpFences = ["```csharp", "```cs", "```c#"];

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Conveyor.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No Conveyor.sln above {AppContext.BaseDirectory}.");
    }

    /// <summary>README.md, every page under docs/, every sample's README and every package's README (src/*/README.md).</summary>
    public static IEnumerable<string> Pages(string root)
    {
        yield return Path.Combine(root, "README.md");
        foreach (var package in Directory.EnumerateDirectories(Path.Combine(root, "src")).Order(StringComparer.Ordinal))
        {
            if (File.Exists(Path.Combine(package, "README.md")))
            {
                yield return Path.Combine(package, "README.md");
            }
        }

        foreach (var folder in new[] { "docs", "samples" })
        {
            var path = Path.Combine(root, folder);
            if (!Directory.Exists(path))
            {
                continue;
            }

            foreach (var page in Directory.EnumerateFiles(path, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                var parts = Path.GetRelativePath(root, page).Split(Path.DirectorySeparatorChar);
                if (!parts.Contains("bin") && !parts.Contains("obj"))
                {
                    yield return page;
                }
            }
        }
    }

    /// <summary>Every fenced block of a page that is C# or has a snippet line above it.</summary>
    public static IEnumerable<Block> Blocks(string page)
    {
        var lines = File.ReadAllLines(page);
        string? marker = null;
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.StartsWith(MarkerStart, StringComparison.Ordinal) && line.EndsWith("-->", StringComparison.Ordinal))
            {
                marker = line[MarkerStart.Length..^3].Trim();
                continue;
            }

            if (line.StartsWith(LinkMarkerStart, StringComparison.Ordinal) && line.EndsWith(')'))
            {
                marker = line[LinkMarkerStart.Length..^1].Trim();
                continue;
            }

            if (!line.StartsWith("```", StringComparison.Ordinal) || line.Length == 3)
            {
                if (line.Length > 0)
                {
                    marker = null;
                }

                continue;
            }

            var start = i + 1;
            var end = start;
            while (end < lines.Length && lines[end].Trim() != "```")
            {
                end++;
            }

            if (marker is not null || CSharpFences.Contains(line, StringComparer.OrdinalIgnoreCase))
            {
                yield return new Block(page, start, end, marker, string.Join('\n', lines[start..end]));
            }

            marker = null;
            i = end;
        }
    }

    /// <summary>The text a snippet line names, or why it cannot be read.</summary>
    public static string Source(string root, string marker)
    {
        var hash = marker.IndexOf('#', StringComparison.Ordinal);
        var file = Path.Combine(root, "docs", "snippets", hash < 0 ? marker : marker[..hash]);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"snippet source docs/snippets/{(hash < 0 ? marker : marker[..hash])} does not exist");
        }

        var lines = File.ReadAllLines(file);
        if (hash < 0)
        {
            return string.Join('\n', lines).TrimEnd('\n');
        }

        var region = marker[(hash + 1)..];
        var first = Array.FindIndex(lines, l => l.Trim() == "#region " + region);
        if (first < 0)
        {
            throw new InvalidOperationException($"docs/snippets/{marker[..hash]} has no '#region {region}'");
        }

        var last = Array.FindIndex(lines, first + 1, l => l.Trim().StartsWith("#endregion", StringComparison.Ordinal));
        var body = lines[(first + 1)..last];
        var indent = body.Where(l => l.Trim().Length > 0).Select(l => l.Length - l.TrimStart().Length).DefaultIfEmpty(0).Min();
        return string.Join('\n', body.Select(l => l.Length >= indent ? l[indent..] : l.TrimStart()));
    }

    /// <summary>Rewrites a page's block with its source's text.</summary>
    public static void Replace(Block block, string text)
    {
        var lines = File.ReadAllLines(block.Page).ToList();
        lines.RemoveRange(block.Start, block.End - block.Start);
        lines.InsertRange(block.Start, text.Split('\n'));
        File.WriteAllText(block.Page, string.Join('\n', lines) + "\n", new UTF8Encoding(false));
    }

    public sealed record Block(string Page, int Start, int End, string? Marker, string Text)
    {
        public string Where(string root) => $"{Path.GetRelativePath(root, Page)}:{Start}";
    }
}
