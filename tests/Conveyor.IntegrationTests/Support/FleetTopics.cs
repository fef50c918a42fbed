using Conveyor.Fleet;
using Conveyor.Processing;

namespace Conveyor.IntegrationTests.Support;

/// <summary>A fleet test's topics: the one its instances process, and the status and control topics they report on and listen to.</summary>
internal sealed record FleetTopics(string Topic, string Status, string Control)
{
    /// <summary>New topics: <paramref name="partitions"/> to process, one each for status and control.</summary>
    public static FleetTopics Create(EmbeddedKafkaFixture kafka, int partitions) => new(kafka.CreateTopic(partitions), kafka.CreateTopic(1), kafka.CreateTopic(1));

    /// <summary>An instance of <paramref name="group"/> on these topics, reporting its status every 300 ms.</summary>
    public ProcessorOptions Options(string group, TimeSpan commitInterval) => new()
    {
        GroupId = group,
        Topics = [Topic],
        CommitInterval = commitInterval,
        Fleet = new FleetOptions { StatusTopic = Status, ControlTopic = Control, StatusInterval = TimeSpan.FromMilliseconds(300) },
    };
}
