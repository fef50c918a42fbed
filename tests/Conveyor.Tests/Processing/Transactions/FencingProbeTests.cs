using Conveyor.Processing.Transactions;

namespace Conveyor.Tests.Processing.Transactions;

public class FencingProbeTests
{
    [Theory]
    [InlineData("[thrd:127.0.0.1:9093/2]: 127.0.0.1:9093/2:   ApiKey TxnOffsetCommit (28) Versions 0..3", 2, 3)]
    [InlineData("[thrd:kafka-1.example:9092/1001]: kafka-1.example:9092/1001:   ApiKey TxnOffsetCommit (28) Versions 0..2", 1001, 2)]
    public void A_brokers_TxnOffsetCommit_line_gives_its_id_and_highest_version(string line, int broker, short max)
    {
        Assert.Equal((broker, max), FencingProbe.Read(line));
    }

    [Theory]
    [InlineData("[thrd:127.0.0.1:9093/bootstrap]: 127.0.0.1:9093/bootstrap:   ApiKey TxnOffsetCommit (28) Versions 0..3")] // no broker id yet
    [InlineData("[thrd:127.0.0.1:9093/2]: 127.0.0.1:9093/2:   ApiKey OffsetCommit (8) Versions 0..9")]
    [InlineData("[thrd:127.0.0.1:9093/2]: 127.0.0.1:9093/2: Broker API support:")]
    public void Other_lines_say_nothing(string line)
    {
        Assert.Null(FencingProbe.Read(line));
    }

    [Fact]
    public void A_broker_below_version_3_is_refused_with_one_message_naming_it_and_what_to_do()
    {
        var support = new FencingSupport([new BrokerSupport(1, "a:9092", 3), new BrokerSupport(2, "b:9092", 2), new BrokerSupport(3, "c:9092", 2)], [], null);

        Assert.Equal(
            "Exactly-once needs brokers that fence late offset commits (KIP-447, Apache Kafka 2.5 or later), but broker 2 (b:9092) supports TxnOffsetCommit only up to version 2 (3 is needed), and 1 more. "
            + "Upgrade the brokers to 2.5 or later, or use DeliveryGuarantee.AtLeastOnce.",
            support.Refusal);
    }

    [Fact]
    public void Brokers_that_gave_no_answer_are_a_warning_not_a_refusal()
    {
        var support = new FencingSupport([new BrokerSupport(1, "a:9092", 3)], ["2 (b:9092)"], "no answer in time");

        Assert.Null(support.Refusal);
        Assert.Equal(
            "Could not learn whether every broker fences late offset commits (KIP-447, Kafka 2.5+): no answer in time from broker 2 (b:9092). Exactly-once goes on; it holds only on brokers 2.5 or later.",
            support.Warning);
    }
}
