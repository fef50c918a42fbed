using System.Collections;
using System.Globalization;
using System.Reflection;

namespace Conveyor.Processing;

/// <summary>
/// One description of <see cref="ProcessorOptions"/>, read from the options records themselves: which
/// settings sections they hold (<c>Retry</c>, <c>RetryTopics</c>, <c>Batch</c>, <c>Forwarding</c> and
/// any added later), which kind of processor uses each, and each setting's current value for
/// display, and the range each setting must keep (<see cref="AllowedRangeAttribute"/>). Conveyor.Hosting's
/// configuration binder, the dashboard's configuration page and <see cref="ProcessorOptions.Validate"/>
/// read it, so a setting added to the options is bound, shown and checked without being listed anywhere
/// else, and its messages name it as it is named.
/// </summary>
public static class ProcessorOptionsDescription
{
    /// <summary>The settings sections of <see cref="ProcessorOptions"/>, by property, in declaration order.</summary>
    public static IReadOnlyList<PropertyInfo> Sections { get; } =
        [.. Settings(typeof(ProcessorOptions)).Where(p => IsSection(p.PropertyType))];

    /// <summary>
    /// Whether <paramref name="type"/> is a settings section: a class of Conveyor's own (not a
    /// string, a delegate or an interface), bound and shown setting by setting.
    /// </summary>
    /// <param name="type">A property's type.</param>
    public static bool IsSection(Type type)
    {
        ArgumentNullException.ThrowIfNull(type);
        return type.IsClass
            && type != typeof(string)
            && !typeof(Delegate).IsAssignableFrom(type)
            && type.Assembly == typeof(ProcessorOptions).Assembly;
    }

    /// <summary>The settings of an options record or a section: its public properties with a public setter or <c>init</c>.</summary>
    /// <param name="owner">The record's type.</param>
    public static IReadOnlyList<PropertyInfo> Settings(Type owner)
    {
        ArgumentNullException.ThrowIfNull(owner);
        return [.. owner.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } && p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken)];
    }

    /// <summary>Whether <paramref name="kind"/> uses the setting or section <paramref name="setting"/> (<c>Batch</c> only a batch processor, <c>Forwarding</c> only a forwarder).</summary>
    /// <param name="setting">A property of <see cref="ProcessorOptions"/>.</param>
    /// <param name="kind">The kind of processor.</param>
    public static bool IsUsedBy(PropertyInfo setting, ProcessorKind kind)
    {
        ArgumentNullException.ThrowIfNull(setting);
        return setting.GetCustomAttribute<OnlyForAttribute>() is not { } only || only.Kind == kind;
    }

    /// <summary>
    /// Every setting <paramref name="kind"/> uses with its value, sorted by name, sections flattened
    /// as <c>Retry.MaxAttempts</c>; lists joined by commas, code-only settings as <c>(set in code)</c>.
    /// </summary>
    /// <param name="options">The options to show.</param>
    /// <param name="kind">The kind of processor they belong to.</param>
    public static IReadOnlyList<KeyValuePair<string, string>> Describe(ProcessorOptions options, ProcessorKind kind)
    {
        ArgumentNullException.ThrowIfNull(options);
        return [.. Walk(options, p => IsUsedBy(p, kind))
            .Select(s => KeyValuePair.Create(s.Name, Show(s.Value)))
            .OrderBy(r => r.Key, StringComparer.Ordinal)];
    }

    /// <summary>
    /// Every setting of <paramref name="options"/> that <paramref name="include"/> lets in at the top
    /// level, sections walked setting by setting (<c>Retry.MaxAttempts</c>) and a null section given as
    /// itself; the one walk that both the dashboard's rows and validation's checks read.
    /// </summary>
    internal static IEnumerable<(string Name, PropertyInfo Setting, object? Value)> Walk(ProcessorOptions options, Func<PropertyInfo, bool> include) =>
        Walk(options, string.Empty, include);

    private static IEnumerable<(string Name, PropertyInfo Setting, object? Value)> Walk(object owner, string prefix, Func<PropertyInfo, bool> include)
    {
        foreach (var property in Settings(owner.GetType()).Where(include))
        {
            var name = prefix + property.Name;
            var value = property.GetValue(owner);
            if (value is not null && IsSection(property.PropertyType))
            {
                foreach (var setting in Walk(value, name + ".", _ => true))
                {
                    yield return setting;
                }

                continue;
            }

            yield return (name, property, value);
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "(not set)",
        string text => text,
        Delegate or Microsoft.Extensions.Logging.ILoggerFactory => "(set in code)",
        IEnumerable items => string.Join(", ", items.Cast<object?>().Select(Show)),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? string.Empty,
    };
}
