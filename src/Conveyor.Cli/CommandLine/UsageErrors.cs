using System.CommandLine;
using System.CommandLine.Parsing;

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
        // System.CommandLine names the .NET type of an enum option ("as expected type
        // 'Conveyor.Processing.OrderingMode'"): say which values it takes instead.
        if (error.SymbolResult is OptionResult { Option: var option } result
            && (Nullable.GetUnderlyingType(option.ValueType) ?? option.ValueType) is { IsEnum: true } type
            && error.Message.Contains(type.FullName!, StringComparison.Ordinal))
        {
            var given = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
            return $"{option.Name} '{given}' is not one of {string.Join(", ", Enum.GetNames(type))}.";
        }

        return error.Message;
    }

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
