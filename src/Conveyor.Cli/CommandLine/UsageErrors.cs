using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;

namespace Conveyor.Cli.CommandLine;

/// <summary>
/// The CLI's rule for usage errors: one line saying what was wrong and how to see help, exit 2;
/// the help itself only when asked for (or when no command was given at all).
/// </summary>
internal static class UsageErrors
{
    private const string MissingCommand = "Required command was not provided.";

    /// <summary>The one line for a parse that failed: the most specific error, in the CLI's words, and where help is.</summary>
    public static string Describe(ParseResult parsed)
    {
        var error = parsed.Errors.FirstOrDefault(e => e.Message != MissingCommand) ?? parsed.Errors[0];
        return $"error: {Reword(error)} See '{CommandPath(parsed.CommandResult)} --help'.";
    }

    private static string Reword(ParseError error)
    {
        // "Required command was not provided." names neither the command nor what it takes.
        if (error.Message == MissingCommand && error.SymbolResult is CommandResult { Command: var parent } at && parent.Subcommands.Count > 0)
        {
            var visible = parent.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            return $"{CommandPath(at)} needs one of its commands: {string.Join(", ", visible)}.";
        }

        // System.CommandLine names the .NET type of the option ("as expected type
        // 'Conveyor.Processing.OrderingMode'", "'System.Int32'"): say what it takes instead.
        if (error.SymbolResult is OptionResult { Option: var option } result
            && ValueType(option.ValueType) is var type
            && error.Message.Contains($"'{type.FullName}'", StringComparison.Ordinal)
            && Expected(type) is { } expected)
        {
            // The value that failed, as System.CommandLine quotes it: with a repeated option it need not be the last one.
            var quoted = Regex.Match(error.Message, "argument '(?<given>.*)' for option");
            var given = quoted.Success ? quoted.Groups["given"].Value : result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            return $"{option.Name} '{given}' is not {expected}.";
        }

        return error.Message;
    }

    /// <summary>The type of one value: <c>int</c> for <c>int?</c> and for a repeatable <c>int[]</c>.</summary>
    private static Type ValueType(Type type) =>
        type.IsArray ? ValueType(type.GetElementType()!) : Nullable.GetUnderlyingType(type) ?? type;

    private static string? Expected(Type type) =>
        type.IsEnum ? $"one of {string.Join(", ", Enum.GetNames(type))}"
        : type == typeof(int) || type == typeof(long) ? "a whole number"
        : type == typeof(double) ? "a number"
        : null;

    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? at = result; at is not null; at = at.Parent)
        {
            if (at is CommandResult command)
            {
                names.Insert(0, command.Command.Name);
            }
        }

        return string.Join(' ', names);
    }
}
