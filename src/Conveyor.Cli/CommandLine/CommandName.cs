namespace Conveyor.Cli.CommandLine;

/// <summary>
/// How the user runs this program, for hints that name a command: <c>conveyor ...</c> for the
/// installed tool, <c>dotnet run --project src/Conveyor.Cli -- ...</c> only when it runs from
/// the source tree (its build output beside the project file).
/// </summary>
internal static class CommandName
{
    private static readonly Lazy<string> Current = new(() => For(AppContext.BaseDirectory));

    /// <summary>The command line for <paramref name="arguments"/> (e.g. <c>broker</c>) as the user runs this program.</summary>
    public static string Of(string arguments) => $"{Current.Value} {arguments}";

    /// <summary>The program's command for a build output in <paramref name="baseDirectory"/>.</summary>
    /// <param name="baseDirectory">Where the program's assemblies are.</param>
    public static string For(string baseDirectory)
    {
        // dotnet run puts the build output in src/Conveyor.Cli/bin/<configuration>/<framework>/.
        var project = Path.GetFullPath(Path.Combine(baseDirectory, "..", "..", "..", "Conveyor.Cli.csproj"));
        return File.Exists(project) ? "dotnet run --project src/Conveyor.Cli --" : "conveyor";
    }
}
