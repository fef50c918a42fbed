using System.CommandLine;

namespace Conveyor.Cli.CommandLine;

/// <summary>Range checks for options, reported as usage errors that name the option and the allowed range.</summary>
internal static class OptionRules
{
    public static Option<T> MustBe<T>(this Option<T> option, Func<T, bool> isValid, string requirement)
    {
        option.Validators.Add(result =>
        {
            T value;
            try
            {
                value = result.GetValueOrDefault<T>();
            }
            catch (InvalidOperationException)
            {
                return; // not a T at all: the parser reports that itself
            }

            if (!isValid(value))
            {
                result.AddError($"{option.Name} must be {requirement}.");
            }
        });
        return option;
    }
}
