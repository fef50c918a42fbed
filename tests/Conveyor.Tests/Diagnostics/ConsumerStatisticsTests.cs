using Confluent.Kafka;
using Conveyor.Diagnostics;

namespace Conveyor.Tests.Diagnostics;

public class ConsumerStatisticsTests
{
    [Fact]
    public void Lag_is_read_per_partition_skipping_unknown_lag_and_the_internal_partition()
    {
        const string json = """
            {"name":"rdkafka#consumer-1","type":"consumer","topics":{
              "orders":{"topic":"orders","partitions":{
                "0":{"partition":0,"hi_offset":10,"committed_offset":7,"consumer_lag":3},
                "1":{"partition":1,"hi_offset":5,"committed_offset":-1001,"consumer_lag":-1},
                "-1":{"partition":-1,"consumer_lag":-1}}},
              "returns":{"topic":"returns","partitions":{"2":{"partition":2,"consumer_lag":0}}}}}
            """;

        var lag = ConsumerStatistics.Lag(json);

        Assert.Equal(2, lag.Count);
        Assert.Equal(3, lag[new TopicPartition("orders", 0)]);
        Assert.Equal(0, lag[new TopicPartition("returns", 2)]);
    }

    [Fact]
    public void The_end_offset_is_read_where_the_lag_is_not_known_yet()
    {
        const string json = """
            {"topics":{"orders":{"partitions":{
              "0":{"partition":0,"hi_offset":10,"committed_offset":7,"consumer_lag":3},
              "1":{"partition":1,"hi_offset":5,"committed_offset":-1001,"consumer_lag":-1},
              "2":{"partition":2,"hi_offset":-1,"consumer_lag":-1}}}}}
            """;

        var (lag, ends) = ConsumerStatistics.Read(json);

        Assert.Equal([new TopicPartition("orders", 0)], lag.Keys);
        Assert.Equal(new Dictionary<TopicPartition, long> { [new("orders", 0)] = 10, [new("orders", 1)] = 5 }, ends);
    }
}
