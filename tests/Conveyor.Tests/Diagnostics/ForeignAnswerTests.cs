using Conveyor.Diagnostics;

namespace Conveyor.Tests.Diagnostics;

/// <summary>librdkafka's "Invalid response size" from a server that does not speak Kafka, read as what answered.</summary>
public class ForeignAnswerTests
{
    [Fact]
    public void A_web_server_is_named_as_one_not_as_a_size_to_raise()
    {
        var why = ForeignAnswer.Explain("[thrd:10.0.0.7:8080/bootstrap]: 10.0.0.7:8080/bootstrap: Receive failed: Invalid response size 1213486160 (0..100000000): increase receive.message.max.bytes (after 2ms in state APIVERSION_QUERY)");

        Assert.Equal(new HopelessProblem(HopelessCause.NotKafka, "10.0.0.7:8080 answered in HTTP, not in Kafka's protocol: that address is not a Kafka listener (check the host and port)"), why);
    }

    [Theory]
    [InlineData(0x15030300u)] // a TLS alert, as a TLS listener answers a plaintext request
    [InlineData(0x16030100u)]
    public void A_tls_listener_asked_in_plaintext_is_named(uint size)
    {
        var why = ForeignAnswer.Explain($"broker-1:9093/bootstrap: Receive failed: Invalid response size {size} (0..100000000): increase receive.message.max.bytes");

        Assert.Equal(new HopelessProblem(HopelessCause.Security, "broker-1:9093 answered with TLS to a plaintext request: the listener expects TLS (security.protocol SSL or SASL_SSL)"), why);
    }

    [Theory]
    [InlineData("broker-1:9092/1: Receive failed: Invalid response size 200000000 (0..100000000): increase receive.message.max.bytes")] // a response really that large
    [InlineData("broker-1:9092/1: Connect to ipv4#10.0.0.1:9092 failed: Connection refused")]
    public void Anything_else_is_left_in_librdkafkas_words(string text) => Assert.Null(ForeignAnswer.Explain(text));
}
