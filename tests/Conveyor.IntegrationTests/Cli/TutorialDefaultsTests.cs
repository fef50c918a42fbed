using Conveyor.Cli.CommandLine;
using Conveyor.IntegrationTests.Support;
using Conveyor.Testing;

namespace Conveyor.IntegrationTests.Cli;

/// <summary>The tutorial's commands say when they use the tutorial's topic and group; nothing claims a value was given when it was not.</summary>
public class TutorialDefaultsTests
{
    [Fact]
    public async Task Consume_of_a_missing_default_topic_does_not_claim_it_was_given()
    {
        // A cluster of its own, so the tutorial's topic surely does not exist.
        await using var cluster = EmbeddedKafkaCluster.Start();

        var (exitCode, _, errors) = await Run("consume", "-b", cluster.BootstrapServers);

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"error: topic 'rust' (the tutorial's default; name yours with --topic) does not exist on {cluster.BootstrapServers}.", errors[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Produce_says_first_which_of_the_tutorials_defaults_it_used()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions { Topics = [new TopicSpec("rust", 1)] });

        var (exitCode, output, _) = await Run("produce", "-b", cluster.BootstrapServers, "--count", "1");
        Assert.Equal(0, exitCode);
        Assert.Equal("note: using the tutorial's default topic 'rust' (--topic); name your own to use another", output[0]);

        (exitCode, output, _) = await Run("produce", "-b", cluster.BootstrapServers, "--topic", "rust", "--count", "1");
        Assert.Equal(0, exitCode);
        Assert.StartsWith("produced message with key ", output[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Produce_to_a_missing_topic_given_says_it_was_given()
    {
        await using var cluster = EmbeddedKafkaCluster.Start();

        var (exitCode, _, errors) = await Run("produce", "-b", cluster.BootstrapServers, "--topic", "orders");

        Assert.Equal(1, exitCode);
        Assert.StartsWith($"error: topic 'orders' (given with --topic) does not exist on {cluster.BootstrapServers}.", errors[0], StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, IReadOnlyList<string> Output, IReadOnlyList<string> Errors)> Run(params string[] args)
    {
        var output = new LineRecorder();
        var errors = new LineRecorder();
        var exitCode = await ConveyorCommandLine.InvokeAsync(args, output, errors).WaitAsync(Timeouts.Stop);
        return (exitCode, output.Lines, errors.Lines);
    }
}
