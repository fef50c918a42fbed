using System.CommandLine;

namespace Conveyor.Cli.CommandLine;

/// <summary>What a command's action works with: its parsed arguments and where to write.</summary>
/// <param name="Parsed">The parse result.</param>
/// <param name="Output">Standard output: the tutorial's lines.</param>
/// <param name="Errors">Standard error: problems and diagnostics.</param>
internal sealed record CommandContext(ParseResult Parsed, TextWriter Output, TextWriter Errors)
{
    public T Get<T>(Option<T> option) => Parsed.GetValue(option)!;
}
