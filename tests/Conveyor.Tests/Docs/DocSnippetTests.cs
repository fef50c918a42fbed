namespace Conveyor.Tests.Docs;

public sealed class DocSnippetTests
{
    private readonly string _root = DocSnippets.RepositoryRoot();

    [Fact]
    public void Every_C_sharp_block_in_the_docs_names_the_compiled_source_it_shows()
    {
        var unnamed = DocSnippets.Pages(_root)
            .SelectMany(DocSnippets.Blocks)
            .Where(b => b.Marker is null)
            .Select(b => b.Where(_root))
            .ToList();

        Assert.True(unnamed.Count == 0,
            "C# blocks without a '<!-- snippet: PATH#REGION -->' line above them (put the code under docs/snippets and name it): " + string.Join(", ", unnamed));
    }

    [Fact]
    public void Every_block_in_the_docs_is_the_text_of_its_compiled_source()
    {
        // CONVEYOR_SYNC_SNIPPETS=1 rewrites the pages from their sources instead of failing.
        var sync = Environment.GetEnvironmentVariable("CONVEYOR_SYNC_SNIPPETS") == "1";
        var drifted = new List<string>();
        foreach (var page in DocSnippets.Pages(_root))
        {
            // Bottom up, so that a rewrite does not move the blocks still to check.
            foreach (var block in DocSnippets.Blocks(page).Where(b => b.Marker is not null).Reverse().ToList())
            {
                string source;
                try
                {
                    source = DocSnippets.Source(_root, block.Marker!);
                }
                catch (Exception e) when (e is FileNotFoundException or InvalidOperationException)
                {
                    drifted.Add($"{block.Where(_root)}: {e.Message}");
                    continue;
                }

                if (Normalize(source) == Normalize(block.Text))
                {
                    continue;
                }

                if (sync)
                {
                    DocSnippets.Replace(block, source);
                }
                else
                {
                    drifted.Add($"{block.Where(_root)} differs from {block.Marker}; it should read:\n{source}");
                }
            }
        }

        Assert.True(drifted.Count == 0,
            "Doc blocks that do not match their source (edit docs/snippets, then run the tests with CONVEYOR_SYNC_SNIPPETS=1 to copy it into the pages):\n" + string.Join("\n\n", drifted));
    }

    [Fact]
    public void A_block_that_differs_from_its_region_is_found()
    {
        var dir = Directory.CreateTempSubdirectory("conveyor-snippets");
        try
        {
            var page = Path.Combine(dir.FullName, "page.md");
            File.WriteAllText(page, "Text\n\n<!-- snippet: Pages/Engine.cs#processor -->\n```csharp\nvar x = 1;\n```\n\n```csharp\nvar y = 2;\n```\n");
            var blocks = DocSnippets.Blocks(page).ToList();

            Assert.Equal(2, blocks.Count);
            Assert.Equal("Pages/Engine.cs#processor", blocks[0].Marker);
            Assert.Null(blocks[1].Marker);
            Assert.NotEqual(Normalize(DocSnippets.Source(_root, blocks[0].Marker!)), Normalize(blocks[0].Text));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string Normalize(string text) =>
        string.Join('\n', text.Replace("\r", "", StringComparison.Ordinal).Split('\n').Select(l => l.TrimEnd())).Trim('\n');
}
