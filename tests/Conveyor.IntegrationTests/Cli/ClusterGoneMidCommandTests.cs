using System.Text;
using System.Text.RegularExpressions;
using Conveyor.Fleet;
using Conveyor.IntegrationTests.Support;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Cli;

/// <summary>
/// The cluster dies while a command runs, as a real process so that librdkafka's own log lines
/// (written straight to standard error when a client has no log handler) would be seen.
/// </summary>
public partial class ClusterGoneMidCommandTests
{
    [Fact]
    public async Task A_control_command_waiting_for_answers_when_the_cluster_dies_prints_no_librdkafka_lines()
    {
        var cluster = EmbeddedKafkaCluster.Start();
        try
        {
            cluster.CreateTopic("status", 1);
            cluster.CreateTopic("control", 1);
            var group = Names.Unique("group");

            // A live instance as far as the status topic says, which never answers: the command waits.
            var status = new InstanceStatus(group, "silent", "host", "1.0", "Running", DateTimeOffset.UtcNow);
            await KafkaTestClient.ProduceAsync(cluster.BootstrapServers, "status", [(status.Key, Encoding.UTF8.GetString(status.ToJson()))]);

            await using var cli = CliProcess.Start(
                "control", "pause", "-b", cluster.BootstrapServers, "--group", group, "--control-topic", "control", "--status-topic", "status", "--by", "test", "--wait", "00:00:08");
            KafkaTestClient.ReadAll(cluster.BootstrapServers, "control", 1, Timeouts.Flow); // sent: the command now reads the status topic for answers

            await cluster.DisposeAsync(); // its status reader (TopicTail) fetches from a broker that is gone
            Assert.Equal(1, await cli.WaitForExitAsync(Timeouts.Stop));

            var errors = cli.Errors.Lines.Where(l => l.Length > 0).ToList();
            Assert.DoesNotContain(errors, l => LibrdkafkaLine().IsMatch(l));
            Assert.NotEmpty(errors); // the command's own account of the missing answer
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    /// <summary>librdkafka's default log line: <c>%3|1765000000.123|FAIL|rdkafka#consumer-1| ...</c>.</summary>
    [GeneratedRegex(@"^%\d\|\d+\.\d+\|")]
    private static partial Regex LibrdkafkaLine();
}
