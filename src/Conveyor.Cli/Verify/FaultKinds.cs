namespace Conveyor.Cli.Verify;

/// <summary>Which faults a run can inject where it runs.</summary>
internal static class FaultKinds
{
    /// <summary>Faults that need the embedded broker's control API.</summary>
    public const FaultKind BrokerOnly = FaultKind.BrokerErrors | FaultKind.DropConnections | FaultKind.BrokerDown;

    /// <summary>The faults of <paramref name="asked"/> that can be injected: all on the embedded broker, those of the workers on a real cluster.</summary>
    public static FaultKind Injectable(FaultKind asked, bool embedded) => embedded ? asked : asked & ~BrokerOnly;

    /// <summary>For the banner: what will be injected, and what was asked for but cannot be here.</summary>
    public static string Describe(FaultKind asked, bool embedded)
    {
        var injectable = Injectable(asked, embedded);
        var left = asked & ~injectable;
        return left == FaultKind.None
            ? injectable.ToString()
            : $"{injectable} (not on a real cluster: {left}, which need the embedded broker)";
    }
}
