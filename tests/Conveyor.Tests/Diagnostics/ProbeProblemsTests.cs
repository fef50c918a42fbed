using Confluent.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.Tests.Diagnostics;

/// <summary>Problems waiting cannot heal, kept with their kind so the advice never depends on librdkafka's wording.</summary>
public class ProbeProblemsTests
{
    [Fact]
    public void A_host_name_that_does_not_resolve_is_a_host_name_problem()
    {
        var problems = new ProbeProblems();

        problems.Note(new Error(ErrorCode.Local_Resolve, "kafka-1.example:9092/bootstrap: Failed to resolve 'kafka-1.example:9092': Name or service not known"));

        Assert.Equal(HopelessCause.HostName, problems.Hopeless?.Cause);
    }

    [Fact]
    public void A_web_server_is_a_listener_problem_and_a_tls_answer_a_security_one_whatever_the_host_is_called()
    {
        var web = new ProbeProblems();
        var tls = new ProbeProblems();

        web.Note(new LogMessage("rdkafka", SyslogLevel.Error, "FAIL", "[thrd:resolver:8080/bootstrap]: resolver:8080/bootstrap: Receive failed: Invalid response size 1213486160 (0..100000000): increase receive.message.max.bytes"));
        tls.Note(new Error(ErrorCode.Local_Transport, "resolver:9093/bootstrap: Receive failed: Invalid response size 352518912 (0..100000000): increase receive.message.max.bytes"));

        Assert.Equal(HopelessCause.NotKafka, web.Hopeless?.Cause);
        Assert.Equal(HopelessCause.Security, tls.Hopeless?.Cause);
    }

    [Fact]
    public void A_failed_handshake_is_a_security_problem()
    {
        var problems = new ProbeProblems();

        problems.Note(new Error(ErrorCode.Local_Ssl, "broker-1:9093/bootstrap: SSL handshake failed: certificate verify failed"));

        Assert.Equal(new HopelessProblem(HopelessCause.Security, "broker-1:9093/bootstrap: SSL handshake failed: certificate verify failed"), problems.Hopeless);
    }
}
