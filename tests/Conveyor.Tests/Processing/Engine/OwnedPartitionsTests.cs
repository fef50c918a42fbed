using Confluent.Kafka;
using Conveyor.Diagnostics;
using Conveyor.Processing.Engine;

namespace Conveyor.Tests.Processing.Engine;

public class OwnedPartitionsTests
{
    [Fact]
    public void A_fetched_messages_partition_is_found_by_topic_and_number_without_allocating()
    {
        var owned = new OwnedPartitions(new Dispatcher(), new StallWatchdog(Timeout.InfiniteTimeSpan, new ProcessorEvents(null, "owned", text => text)));
        var state = new PartitionState(new TopicPartition("owned-lookup", 4));
        owned.Add(state);
        var topic = new string("owned-lookup".AsSpan()); // as a consumer hands it over: another string of the same text
        Assert.True(owned.TryGetValue(topic, 4, out _));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var found = owned.TryGetValue(topic, 4, out var partition);
        var missing = owned.TryGetValue(topic, 5, out _);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.True(found);
        Assert.Same(state, partition);
        Assert.False(missing);
        Assert.Equal(0, allocated); // the feeder asks this for every message
        Assert.True(owned.TryGetValue(new TopicPartition("owned-lookup", 4), out var byKey));
        Assert.Same(state, byKey);
    }
}
