using Conveyor.Cli.CommandLine;

namespace Conveyor.Tests.Cli;

/// <summary>Parsing and usage errors: none of these reach a broker.</summary>
public class CommandLineTests
{
    [Theory]
    [InlineData("bogus")]
    [InlineData("demo", "--no-such-flag")]
    [InlineData("produce", "--count", "many")]
    [InlineData("consume", "--fail-rate", "1.5")]
    [InlineData("consume", "-X", "no-equals-sign")]
    [InlineData("broker", "--topic", "rust:0")]
    [InlineData("broker", "--brokers", "0")]
    [InlineData("demo", "--messages", "0")]
    [InlineData("pipe", "-b", "127.0.0.1:1")]
    [InlineData("consume", "--commit-every", "0")]
    [InlineData("consume", "--commit-mode", "Sometimes")]
    [InlineData("pipe", "-b", "127.0.0.1:1", "--to", "a", "--transform", "reverse")]
    [InlineData("pipe", "-b", "127.0.0.1:1", "--to", "a", "--max-messages", "0")]
    public async Task Bad_usage_prints_the_problem_and_usage_and_exits_2(params string[] args)
    {
        var (exitCode, output, errors) = await Run(args);

        Assert.Equal(2, exitCode);
        Assert.NotEmpty(errors);
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_command_shows_the_commands_and_exits_2()
    {
        var (exitCode, output, _) = await Run();

        Assert.Equal(2, exitCode);
        foreach (var command in new[] { "broker", "produce", "consume", "demo" })
        {
            Assert.Contains(command, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Help_names_the_connection_options()
    {
        var (exitCode, output, _) = await Run("consume", "--help");

        Assert.Equal(0, exitCode);
        foreach (var option in new[] { "--bootstrap-servers", "-b", "-X", "--group", "--topic", "--commit", "--fail-rate", "CONVEYOR_BOOTSTRAP_SERVERS" })
        {
            Assert.Contains(option, output, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_unknown_librdkafka_property_gets_librdkafkas_message_and_exit_2()
    {
        var (exitCode, _, errors) = await Run("produce", "-b", "127.0.0.1:1", "-X", "no.such.property=1");

        Assert.Equal(2, exitCode);
        Assert.Contains("-X no.such.property=1: ", errors, StringComparison.Ordinal);
        Assert.Contains("No such configuration property: \"no.such.property\"", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_property_without_an_equals_sign_is_named_as_given_with_X()
    {
        var (exitCode, _, errors) = await Run("consume", "-X", "no-equals-sign");

        Assert.Equal(2, exitCode);
        Assert.Contains("-X 'no-equals-sign' is not a librdkafka property: expected key=value, e.g. -X security.protocol=SASL_SSL.", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_secret_given_with_X_is_never_printed()
    {
        var (_, output, errors) = await Run("produce", "-b", "127.0.0.1:1", "-X", "sasl.password=hunter2", "-X", "linger.ms=never");

        Assert.DoesNotContain("hunter2", output + errors, StringComparison.Ordinal);
        Assert.Contains("linger.ms", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Fail_rate_with_automatic_commits_is_refused()
    {
        var (exitCode, _, errors) = await Run("consume", "-b", "127.0.0.1:1", "--commit", "auto", "--fail-rate", "0.5");

        Assert.Equal(2, exitCode);
        Assert.Contains("--commit manual", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipe_refuses_to_forward_a_topic_to_itself()
    {
        var (exitCode, _, errors) = await Run("pipe", "-b", "127.0.0.1:1", "--topic", "in", "--to", "out", "--to", "in");

        Assert.Equal(2, exitCode);
        Assert.Contains("--to must name topics other than the input topic 'in'", errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Pipe_with_exactly_once_names_what_it_needs()
    {
        var (exitCode, _, errors) = await Run("pipe", "--to", "out", "--guarantee", "ExactlyOnce");

        Assert.Equal(2, exitCode);
        Assert.Contains("TransactionalId is missing", errors, StringComparison.Ordinal);
        Assert.Contains("ExactlyOnce needs Ordering Partition", errors, StringComparison.Ordinal);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exitCode = await ConveyorCommandLine.InvokeAsync(args, output, errors);
        return (exitCode, output.ToString(), errors.ToString());
    }
}
