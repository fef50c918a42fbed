using System.CommandLine;
using Confluent.Kafka;
using Conveyor.Cli.Kafka;
using Conveyor.Fleet;

namespace Conveyor.Cli.CommandLine;

/// <summary>A processor's part in a fleet on the command line (<c>consume</c>): <see cref="FleetOptions"/> as flags.</summary>
internal sealed class FleetMemberOptions
{
    public Option<string?> Status { get; } = new("--status-topic") { Description = "Publish this instance's status record to this topic (Fleet.StatusTopic; see docs/operations.md)" };

    public Option<string?> Control { get; } = new("--control-topic") { Description = "Obey operator commands from this topic: conveyor control pause|resume|concurrency|rewind|stop (Fleet.ControlTopic)" };

    public Option<string?> Instance { get; } = new("--instance-id") { Description = "This instance's name in the fleet (default: host-pid-random)" };

    public Option<Duration> Interval { get; } = new Option<Duration>("--status-interval")
    {
        Description = "How often the status record is published",
        DefaultValueFactory = _ => Duration.FromSeconds(3),
    }.MustBe(v => v >= TimeSpan.FromMilliseconds(100) && v <= TimeSpan.FromMinutes(5), "between 100ms and 5m");

    /// <summary>Whether any fleet option was given.</summary>
    public bool Given(CommandContext context) => context.Get(Status) is not null || context.Get(Control) is not null || context.Get(Instance) is not null;

    public FleetOptions ToOptions(CommandContext context) => new()
    {
        StatusTopic = context.Get(Status),
        ControlTopic = context.Get(Control),
        InstanceId = context.Get(Instance),
        StatusInterval = context.Get(Interval),
    };

    /// <summary>Refuses a status or control topic that does not exist (a processor would run without reporting or obeying).</summary>
    public void RequireTopics(CommandContext context, Metadata metadata, string bootstrapServers)
    {
        foreach (var (option, topic) in new[] { (Status, context.Get(Status)), (Control, context.Get(Control)) })
        {
            if (topic is not null)
            {
                ClusterProbe.RequireTopic(metadata, topic, bootstrapServers, option.Name);
            }
        }
    }
}
