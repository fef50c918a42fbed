namespace Conveyor.Cli.CommandLine;

/// <summary>
/// A duration option's value. It prints as users type it (<c>100ms</c>, <c>5s</c>, <c>2m</c>), so
/// <c>--help</c> shows each default in the form the option takes rather than as <c>00:00:00.1000000</c>;
/// the commands use it as the <see cref="TimeSpan"/> it converts to.
/// </summary>
/// <param name="Value">The duration.</param>
internal readonly record struct Duration(TimeSpan Value)
{
    public static Duration FromMilliseconds(double milliseconds) => new(TimeSpan.FromMilliseconds(milliseconds));

    public static Duration FromSeconds(double seconds) => new(TimeSpan.FromSeconds(seconds));

    public static Duration FromMinutes(double minutes) => new(TimeSpan.FromMinutes(minutes));

    public static implicit operator TimeSpan(Duration duration) => duration.Value;

    public override string ToString() => Durations.Format(Value);
}
