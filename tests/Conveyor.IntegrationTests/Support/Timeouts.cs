namespace Conveyor.IntegrationTests.Support;

/// <summary>Upper bounds for waits: generous, because a test that hits one has failed anyway.</summary>
internal static class Timeouts
{
    /// <summary>Messages produced on the embedded broker arrive at a consumer well within this.</summary>
    public static readonly TimeSpan Flow = TimeSpan.FromSeconds(30);

    /// <summary>A classic-protocol rebalance with session.timeout.ms=6000 finishes well within this.</summary>
    public static readonly TimeSpan Rebalance = TimeSpan.FromSeconds(45);

    /// <summary>A consumer stops and leaves its group well within this.</summary>
    public static readonly TimeSpan Stop = TimeSpan.FromSeconds(30);
}
