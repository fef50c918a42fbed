using System.Globalization;

namespace Conveyor.Processing;

/// <summary>
/// The values a numeric or <see cref="TimeSpan"/> setting of <see cref="ProcessorOptions"/> may take.
/// <see cref="ProcessorOptionsDescription"/> reads it, and <see cref="ProcessorOptions.Validate"/>
/// checks every setting that carries one and words the message from it, so a setting's name and range
/// are written once, where the setting is declared. Bounds of a <see cref="TimeSpan"/> are in milliseconds.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class AllowedRangeAttribute(double minimum) : Attribute
{
    /// <summary>The lowest value allowed (milliseconds for a <see cref="TimeSpan"/>).</summary>
    public double Minimum { get; } = minimum;

    /// <summary>The highest value allowed; <see cref="double.NaN"/> (the default) for none.</summary>
    public double Maximum { get; init; } = double.NaN;

    /// <summary>Whether <see cref="Minimum"/> itself is refused (a timeout that must be positive).</summary>
    public bool ExclusiveMinimum { get; init; }

    /// <summary>Whether <see cref="Timeout.InfiniteTimeSpan"/> is allowed too (it turns something off).</summary>
    public bool InfiniteAllowed { get; init; }

    /// <summary>Words added after the range, in parentheses in the message: why the bound, or what else is allowed.</summary>
    public string? Note { get; init; }

    /// <summary>Whether <paramref name="value"/> is allowed; null (a nullable setting left unset) always is.</summary>
    public bool Allows(object? value)
    {
        if (value is null || (InfiniteAllowed && value is TimeSpan span && span == Timeout.InfiniteTimeSpan))
        {
            return true;
        }

        var number = value is TimeSpan time ? time.TotalMilliseconds : Convert.ToDouble(value, CultureInfo.InvariantCulture);
        var aboveMinimum = ExclusiveMinimum ? number > Minimum : number >= Minimum;
        return aboveMinimum && (double.IsNaN(Maximum) || number <= Maximum);
    }

    /// <summary>What the setting must do, worded to follow "must": <c>be between 1 and 100000</c>, <c>be at least 10 ms</c>, <c>not be negative</c>.</summary>
    /// <param name="type">The setting's type (nullable or not).</param>
    public string Describe(Type type)
    {
        var isTime = (Nullable.GetUnderlyingType(type) ?? type) == typeof(TimeSpan);
        var range = (Minimum, double.IsNaN(Maximum), ExclusiveMinimum, isTime) switch
        {
            (_, false, _, _) => $"be between {Show(Minimum, isTime)} and {Show(Maximum, isTime)}",
            (0, true, true, _) => "be positive",
            (0, true, false, true) => "not be negative",
            (1, true, false, false) => "be 1 or more",
            _ => $"be at least {Show(Minimum, isTime)}",
        };
        return Note is null ? range : $"{range} ({Note})";
    }

    private static string Show(double bound, bool isTime) => !isTime
        ? bound.ToString(CultureInfo.InvariantCulture)
        : bound >= 1000 && bound % 1000 == 0
            ? $"{(bound / 1000).ToString(CultureInfo.InvariantCulture)} s"
            : $"{bound.ToString(CultureInfo.InvariantCulture)} ms";
}
