using System.Reflection;
using Conveyor.Processing;

namespace Conveyor.Tests.Processing;

public class ProcessorOptionsRulesTests
{
    // Exactly-once, so that settings read only under it are checked too.
    private static readonly ProcessorOptions Valid = new()
    {
        GroupId = "g",
        Topics = ["orders"],
        Guarantee = DeliveryGuarantee.ExactlyOnce,
        TransactionalId = "t",
        Ordering = OrderingMode.Partition,
    };

    public static TheoryData<string> RangedSettings()
    {
        var data = new TheoryData<string>();
        foreach (var (name, setting, _) in ProcessorOptionsDescription.Walk(Valid, _ => true))
        {
            if (setting.GetCustomAttribute<AllowedRangeAttribute>() is not null)
            {
                data.Add(name);
            }
        }

        return data;
    }

    [Fact]
    public void The_options_are_valid_before_a_setting_is_moved_out_of_its_range() => Assert.Empty(Valid.Validate());

    [Theory]
    [MemberData(nameof(RangedSettings))]
    public void Every_described_range_is_checked_and_its_message_names_the_setting(string name)
    {
        var setting = Find(name);
        var range = setting.GetCustomAttribute<AllowedRangeAttribute>()!;
        var below = range.ExclusiveMinimum ? range.Minimum : range.Minimum - 1;
        var outside = double.IsNaN(range.Maximum) ? [below] : new[] { below, range.Maximum + 1 };

        foreach (var value in outside)
        {
            var problems = With(name, ValueOf(setting.PropertyType, value)).Validate();

            Assert.Contains(problems, p => p.StartsWith($"{name} must {range.Describe(setting.PropertyType)}; it is ", StringComparison.Ordinal));
            Assert.All(problems, p => Assert.StartsWith(name, p, StringComparison.Ordinal));
        }

        var inside = With(name, ValueOf(setting.PropertyType, range.ExclusiveMinimum ? range.Minimum + 1 : range.Minimum)).Validate();
        Assert.DoesNotContain(inside, p => p.StartsWith($"{name} must {range.Describe(setting.PropertyType)}", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_numeric_or_time_setting_is_described_with_its_range()
    {
        var numeric = new[] { typeof(int), typeof(long), typeof(double), typeof(TimeSpan) };
        var unranged = ProcessorOptionsDescription.Walk(Valid, _ => true)
            .Where(s => numeric.Contains(Nullable.GetUnderlyingType(s.Setting.PropertyType) ?? s.Setting.PropertyType))
            .Where(s => s.Setting.GetCustomAttribute<AllowedRangeAttribute>() is null)
            .Select(s => s.Name);

        Assert.Empty(unranged);
    }

    [Fact]
    public void Ranges_are_worded_as_the_messages_always_were()
    {
        Assert.Equal(["MaxConcurrency must be between 1 and 100000; it is 0."], (Valid with { MaxConcurrency = 0 }).Validate());
        Assert.Equal(["CommitInterval must be at least 10 ms; it is 00:00:00.0090000."], (Valid with { CommitInterval = TimeSpan.FromMilliseconds(9) }).Validate());
        Assert.Equal(["TransactionTimeout must be at least 1 s; it is 00:00:00."], (Valid with { TransactionTimeout = TimeSpan.Zero }).Validate());
        Assert.Equal(["RevokeTimeout must be positive; it is 00:00:00."], (Valid with { RevokeTimeout = TimeSpan.Zero }).Validate());
        Assert.Equal(["MaxBufferedBytes must be at least 1024; it is 1023."], (Valid with { MaxBufferedBytes = 1023 }).Validate());
        Assert.Equal(["StallTimeout must be at least 1 s (or Timeout.InfiniteTimeSpan to turn the watchdog off); it is 00:00:00.5000000."], (Valid with { StallTimeout = TimeSpan.FromMilliseconds(500) }).Validate());
        Assert.Empty((Valid with { StallTimeout = Timeout.InfiniteTimeSpan }).Validate());
        Assert.Equal(["IdleCommitDelay must be positive (or Timeout.InfiniteTimeSpan to commit quiet partitions on the interval only); it is 00:00:00."], (Valid with { IdleCommitDelay = TimeSpan.Zero }).Validate());
        Assert.Empty((Valid with { IdleCommitDelay = Timeout.InfiniteTimeSpan }).Validate());
        Assert.Equal(["Retry.InitialDelay must not be negative; it is -00:00:00.0010000."], (Valid with { Retry = new() { InitialDelay = TimeSpan.FromMilliseconds(-1) } }).Validate());
    }

    [Fact]
    public void A_setting_read_only_under_another_guarantee_is_not_checked()
    {
        var atLeastOnce = new ProcessorOptions { GroupId = "g", Topics = ["orders"], TransactionTimeout = TimeSpan.Zero };

        Assert.Empty(atLeastOnce.Validate());
    }

    private static PropertyInfo Find(string name) =>
        ProcessorOptionsDescription.Walk(Valid, _ => true).Single(s => s.Name == name).Setting;

    private static ProcessorOptions With(string name, object value)
    {
        var options = Clone(Valid);
        var path = name.Split('.');
        object owner = options;
        for (var i = 0; i < path.Length - 1; i++)
        {
            var section = owner.GetType().GetProperty(path[i])!;
            var copy = Clone(section.GetValue(owner)!);
            section.SetValue(owner, copy);
            owner = copy;
        }

        owner.GetType().GetProperty(path[^1])!.SetValue(owner, value);
        return options;
    }

    private static T Clone<T>(T value) where T : notnull =>
        (T)typeof(object).GetMethod("MemberwiseClone", BindingFlags.NonPublic | BindingFlags.Instance)!.Invoke(value, null)!;

    private static object ValueOf(Type type, double number) => (Nullable.GetUnderlyingType(type) ?? type) switch
    {
        var t when t == typeof(TimeSpan) => TimeSpan.FromMilliseconds(number),
        var t when t == typeof(long) => (long)number,
        var t when t == typeof(int) => (int)number,
        var t when t == typeof(double) => number,
        var t => throw new NotSupportedException($"No test value for {t}."),
    };
}
