using Conveyor.Cli.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.Tests.Cli;

/// <summary>The advice after a problem waiting cannot heal follows its kind, not words in librdkafka's reason.</summary>
public class ClusterProbeAdviceTests
{
    [Fact]
    public void A_tls_listener_on_a_host_named_resolver_gets_the_security_advice_not_the_host_name_one()
    {
        var problems = new ProbeProblems();
        problems.Note(new Confluent.Kafka.Error(Confluent.Kafka.ErrorCode.Local_Transport, "dns-resolver:9093/bootstrap: Receive failed: Invalid response size 352518912 (0..100000000): increase receive.message.max.bytes"));
        var hopeless = problems.Hopeless!;

        var failure = ClusterProbe.Failure(new ClusterAnswer(null, ClusterTrouble.Hopeless, hopeless.Reason, hopeless.Cause), "dns-resolver:9093", TimeSpan.FromSeconds(10));

        Assert.Equal(
            "could not connect to Kafka at dns-resolver:9093: dns-resolver:9093 answered with TLS to a plaintext request: the listener expects TLS (security.protocol SSL or SASL_SSL). "
            + "Check the -X security.protocol, sasl.* and ssl.* properties against the cluster's listeners.",
            failure.Message);
    }

    [Theory]
    [InlineData(nameof(HopelessCause.HostName), "Check the host names in -b/--bootstrap-servers (or CONVEYOR_BOOTSTRAP_SERVERS).")]
    [InlineData(nameof(HopelessCause.NotKafka), "Check the port in -b/--bootstrap-servers (or CONVEYOR_BOOTSTRAP_SERVERS): it must be a Kafka listener's.")]
    [InlineData(nameof(HopelessCause.Security), "Check the -X security.protocol, sasl.* and ssl.* properties against the cluster's listeners.")]
    public void Each_kind_of_problem_gets_its_advice_whatever_the_reason_says(string cause, string advice)
    {
        var failure = ClusterProbe.Failure(new ClusterAnswer(null, ClusterTrouble.Hopeless, "a reason in no particular words", Enum.Parse<HopelessCause>(cause)), "k:9092", TimeSpan.FromSeconds(10));

        Assert.Equal($"could not connect to Kafka at k:9092: a reason in no particular words. {advice}", failure.Message);
    }
}
