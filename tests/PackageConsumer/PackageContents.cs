using System.IO.Compression;
using System.Xml.Linq;

/// <summary>
/// Reads the .nupkg files in the artifacts folder the way NuGet would and lists what is missing:
/// a package, its symbols package, its files, its README, license and repository, or a dependency.
/// </summary>
internal static class PackageContents
{
    private const string Repository = "https://github.com/conveyor-dotnet/conveyor";

    public static List<string> Check(string artifacts, string version)
    {
        var problems = new List<string>();
        var expected = new[] { "Conveyor", "Conveyor.Hosting", "Conveyor.AspNetCore", "Conveyor.Testing", "Conveyor.Cli" };
        var found = Directory.GetFiles(artifacts, "*.nupkg").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        var wanted = expected.Select(id => $"{id}.{version}.nupkg").Order(StringComparer.Ordinal).ToList();
        if (!found.SequenceEqual(wanted))
        {
            problems.Add($"{artifacts} holds [{string.Join(", ", found)}]; expected exactly [{string.Join(", ", wanted)}]");
        }

        Check(problems, artifacts, "Conveyor", version,
            ["lib/net10.0/Conveyor.dll", "lib/net10.0/Conveyor.xml"],
            new() { ["Confluent.Kafka"] = null, ["librdkafka.redist"] = null, ["Polly.Core"] = null });
        Check(problems, artifacts, "Conveyor.Hosting", version,
            ["lib/net10.0/Conveyor.Hosting.dll", "lib/net10.0/Conveyor.Hosting.xml"],
            new() { ["Conveyor"] = $"[{version}]", ["Microsoft.Extensions.Hosting.Abstractions"] = null, ["Microsoft.Extensions.Diagnostics.HealthChecks"] = null },
            frameworkReferences: [], notFrameworkReferences: ["Microsoft.AspNetCore.App"]);
        Check(problems, artifacts, "Conveyor.AspNetCore", version,
            ["lib/net10.0/Conveyor.AspNetCore.dll", "lib/net10.0/Conveyor.AspNetCore.xml"],
            new() { ["Conveyor"] = $"[{version}]", ["Conveyor.Hosting"] = $"[{version}]" }, frameworkReferences: ["Microsoft.AspNetCore.App"]);
        // Conveyor.Hosting, Conveyor.AspNetCore and Conveyor.Testing use internals: each must ask for exactly its own Conveyor (and Hosting).
        Check(problems, artifacts, "Conveyor.Testing", version,
            ["lib/net10.0/Conveyor.Testing.dll", "lib/net10.0/Conveyor.Testing.xml"],
            new() { ["Conveyor"] = $"[{version}]" });
        Check(problems, artifacts, "Conveyor.Cli", version,
            ["tools/net10.0/any/Conveyor.Cli.dll", "tools/net10.0/any/DotnetToolSettings.xml", "tools/net10.0/any/Conveyor.dll",
             "tools/net10.0/any/Conveyor.Testing.dll", "tools/net10.0/any/Conveyor.AspNetCore.dll", "tools/net10.0/any/Confluent.Kafka.dll",
             "tools/net10.0/any/runtimes/linux-x64/native/librdkafka.so"],
            []);
        return problems;
    }

    /// <param name="dependencies">Package id → the exact version range the nuspec must state, or null for any.</param>
    /// <param name="frameworkReferences">Shared frameworks the nuspec must name (ASP.NET Core for Conveyor.AspNetCore).</param>
    /// <param name="notFrameworkReferences">Shared frameworks it must not name (ASP.NET Core for Conveyor.Hosting, which worker services use).</param>
    private static void Check(List<string> problems, string artifacts, string id, string version, string[] files, Dictionary<string, string?> dependencies, string[]? frameworkReferences = null, string[]? notFrameworkReferences = null)
    {
        var path = Path.Combine(artifacts, $"{id}.{version}.nupkg");
        if (!File.Exists(path))
        {
            problems.Add($"{id}: no {path}");
            return;
        }

        if (!File.Exists(Path.Combine(artifacts, $"{id}.{version}.snupkg")))
        {
            problems.Add($"{id}: no symbols package {id}.{version}.snupkg");
        }

        using var package = ZipFile.OpenRead(path);
        var entries = package.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
        foreach (var file in files.Append("README.md").Where(f => !entries.Contains(f)))
        {
            problems.Add($"{id}: the package has no {file}");
        }

        var nuspecEntry = package.GetEntry($"{id}.nuspec");
        if (nuspecEntry is null)
        {
            problems.Add($"{id}: the package has no {id}.nuspec");
            return;
        }

        XElement metadata;
        using (var stream = nuspecEntry.Open())
        {
            metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        }

        string? Value(string name) => metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;
        Expect(problems, id, "id", Value("id"), id);
        Expect(problems, id, "version", Value("version"), version);
        Expect(problems, id, "readme", Value("readme"), "README.md");
        Expect(problems, id, "license", Value("license"), "MIT");
        foreach (var name in new[] { "description", "tags", "releaseNotes" }.Where(n => string.IsNullOrWhiteSpace(Value(n))))
        {
            problems.Add($"{id}: the nuspec has no {name}");
        }

        var repository = metadata.Elements().FirstOrDefault(e => e.Name.LocalName == "repository");
        Expect(problems, id, "repository url", repository?.Attribute("url")?.Value, Repository);

        var stated = metadata.Descendants().Where(e => e.Name.LocalName == "dependency")
            .ToDictionary(e => e.Attribute("id")!.Value, e => e.Attribute("version")?.Value, StringComparer.OrdinalIgnoreCase);
        foreach (var (dependency, range) in dependencies)
        {
            if (!stated.TryGetValue(dependency, out var actual))
            {
                problems.Add($"{id}: no dependency on {dependency}");
            }
            else if (range is not null && actual != range)
            {
                problems.Add($"{id}: depends on {dependency} {actual}; expected {range}");
            }
        }

        var frameworks = metadata.Descendants().Where(e => e.Name.LocalName == "frameworkReference").Select(e => e.Attribute("name")?.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var framework in (frameworkReferences ?? []).Where(f => !frameworks.Contains(f)))
        {
            problems.Add($"{id}: no framework reference to {framework}");
        }

        foreach (var framework in (notFrameworkReferences ?? []).Where(frameworks.Contains))
        {
            problems.Add($"{id}: has a framework reference to {framework}; it must not");
        }
    }

    private static void Expect(List<string> problems, string id, string what, string? actual, string expected)
    {
        if (actual != expected)
        {
            problems.Add($"{id}: {what} is '{actual}'; expected '{expected}'");
        }
    }
}
