using System.Globalization;
using System.Reflection;

namespace Conveyor.Processing;

/// <summary>
/// The checks <see cref="ProcessorOptions.Validate"/> reads from <see cref="ProcessorOptionsDescription"/>
/// rather than writing by hand: every enum setting holds a defined value, no section is null, and every
/// setting with an <see cref="AllowedRangeAttribute"/> is inside it. Names come from the walk, ranges from
/// the attributes, so adding or renaming a setting cannot leave a stale message.
/// </summary>
internal static class ProcessorOptionsRules
{
    public static IEnumerable<string> Problems(ProcessorOptions options)
    {
        foreach (var (name, setting, value) in ProcessorOptionsDescription.Walk(options, _ => true))
        {
            var type = setting.PropertyType;
            if (value is null && ProcessorOptionsDescription.IsSection(type))
            {
                yield return $"{name} must not be null (leave it out for the defaults).";
            }
            else if (type.IsEnum && !Enum.IsDefined(type, value!))
            {
                yield return $"{name} must be one of {string.Join(", ", Enum.GetNames(type))}; it is {Show(value)}.";
            }
            else if (RangeOf(setting, options) is { } range && !range.Allows(value))
            {
                yield return $"{name} must {range.Describe(type)}; it is {Show(value)}.";
            }
        }
    }

    /// <summary>The range <paramref name="setting"/> must keep under <paramref name="options"/>; null when it has none or its guarantee is not in use.</summary>
    public static AllowedRangeAttribute? RangeOf(PropertyInfo setting, ProcessorOptions options) =>
        setting.GetCustomAttribute<OnlyWithAttribute>() is { } only && only.Guarantee != options.Guarantee
            ? null
            : setting.GetCustomAttribute<AllowedRangeAttribute>();

    private static string Show(object? value) => Convert.ToString(value, CultureInfo.InvariantCulture) ?? string.Empty;
}
