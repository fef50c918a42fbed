using Conveyor.Cli.Verify;

namespace Conveyor.Tests.Verify;

public class FaultKindsTests
{
    [Fact]
    public void On_a_real_cluster_only_the_workers_faults_are_injected_and_the_banner_says_which_are_left_out()
    {
        Assert.Equal(FaultKind.All, FaultKinds.Injectable(FaultKind.All, embedded: true));
        Assert.Equal(
            FaultKind.HandlerErrors | FaultKind.SlowHandlers | FaultKind.Kill | FaultKind.Restart | FaultKind.JoinLeave,
            FaultKinds.Injectable(FaultKind.All, embedded: false));

        Assert.Equal(
            "HandlerErrors, SlowHandlers, Kill, Restart, JoinLeave (not on a real cluster: BrokerErrors, DropConnections, BrokerDown, which need the embedded broker)",
            FaultKinds.Describe(FaultKind.All, embedded: false));
        Assert.Equal("Kill", FaultKinds.Describe(FaultKind.Kill, embedded: false));
        Assert.Equal("None", FaultKinds.Describe(FaultKind.None, embedded: false));
    }
}
