using System.CommandLine;
using System.Text.RegularExpressions;
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
    [InlineData("consume", "-b", "127.0.0.1:1", "-X", "fetch.wait.max.ms=-5")] // librdkafka's words for it end in a newline
    public async Task Bad_usage_prints_one_line_naming_the_problem_and_where_help_is_and_exits_2(params string[] args)
    {
        var (exitCode, output, errors) = await Run(args);

        Assert.Equal(2, exitCode);
        var line = Assert.Single(errors.Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.DoesNotContain("Usage:", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("error: Unrecognized command or argument 'frobnicate'. See 'conveyor --help'.", "frobnicate")]
    [InlineData("error: --ordering 'Foo' is not one of Key, Partition, Unordered. See 'conveyor consume --help'.", "consume", "--ordering", "Foo")]
    [InlineData("error: conveyor dlq needs one of its commands: list, show, replay. See 'conveyor dlq --help'.", "dlq")]
    [InlineData("error: conveyor offsets needs one of its commands: reset. See 'conveyor offsets --help'.", "offsets")]
    [InlineData("error: --timeout must be positive. See 'conveyor demo --help'.", "demo", "--timeout", "0s")]
    [InlineData("error: --timeout must be positive. See 'conveyor pipe --help'.", "pipe", "--to", "out", "--timeout", "0")]
    [InlineData("error: --concurrency 'abc' is not a whole number. See 'conveyor consume --help'.", "consume", "--concurrency", "abc")]
    [InlineData("error: --fail-rate 'often' is not a number. See 'conveyor demo --help'.", "demo", "--fail-rate", "often")]
    [InlineData("error: --partition 'x' is not a whole number. See 'conveyor offsets reset --help'.", "offsets", "reset", "-g", "g", "-t", "t", "-p", "x", "-p", "1", "--to-earliest")]
    [InlineData("error: --retry-delay '5q' is not a duration: e.g. 100ms, 5s, 2m, 1h or hh:mm:ss. See 'conveyor demo --help'.", "demo", "--retry-delay", "5q")]
    [InlineData("error: --first-id must be 0 or more. See 'conveyor produce --help'.", "produce", "-b", "127.0.0.1:1", "--first-id", "-5")]
    [InlineData("error: --first-id must be 0 or more. See 'conveyor produce --help'.", "produce", "-b", "127.0.0.1:1", "--first-id=-1")]
    [InlineData("error: --idle-commit-delay must be positive, or off. See 'conveyor consume --help'.", "consume", "-b", "127.0.0.1:1", "--idle-commit-delay", "0")]
    [InlineData("error: --idle-commit-delay 'never' is neither a duration nor off: e.g. 100ms, 5s, 2m, 1h or hh:mm:ss, or off. See 'conveyor pipe --help'.", "pipe", "--to", "out", "--idle-commit-delay", "never")]
    [InlineData("error: --retry-delay 'off' is not a duration: e.g. 100ms, 5s, 2m, 1h or hh:mm:ss. See 'conveyor demo --help'.", "demo", "--retry-delay", "off")]
    [InlineData("error: --guarantee ExactlyOnce needs outputs written in the transaction that commits the offsets: use conveyor pipe --to OUTPUT --guarantee ExactlyOnce --ordering Partition --transactional-id ID.", "consume", "-b", "127.0.0.1:1", "--guarantee", "ExactlyOnce")]
    [InlineData("error: --guarantee ExactlyOnce needs outputs written in the transaction that commits the offsets: use conveyor pipe --to OUTPUT --guarantee ExactlyOnce --ordering Partition --transactional-id ID.", "demo", "--guarantee", "ExactlyOnce")]
    [InlineData("error: --group must be a consumer group id, not empty. See 'conveyor consume --help'.", "consume", "-b", "127.0.0.1:1", "--group", "")]
    [InlineData("error: --group must be a consumer group id, not empty. See 'conveyor demo --help'.", "demo", "--group", " ")]
    [InlineData("error: --topic must be a topic name, not empty. See 'conveyor consume --help'.", "consume", "-b", "127.0.0.1:1", "--topic", "")]
    [InlineData("error: --listen must be host:port, e.g. 127.0.0.1:5090 ([::1]:5090 for IPv6; port 0 picks a free one). See 'conveyor dashboard --help'.", "dashboard", "-b", "127.0.0.1:1", "--listen", "bad")]
    [InlineData("error: --listen must be host:port, e.g. 127.0.0.1:5090 ([::1]:5090 for IPv6; port 0 picks a free one). See 'conveyor dashboard --help'.", "dashboard", "-b", "127.0.0.1:1", "--listen", "127.0.0.1:99999")]
    [InlineData("error: --listen must be host:port, e.g. 127.0.0.1:5090 ([::1]:5090 for IPv6; port 0 picks a free one). See 'conveyor dashboard --help'.", "dashboard", "-b", "127.0.0.1:1", "--listen", "::1:5090")]
    public async Task A_usage_error_is_one_line_in_the_command_lines_terms(string expected, params string[] args)
    {
        var (exitCode, output, errors) = await Run(args);

        Assert.Equal(2, exitCode);
        Assert.Equal(expected, errors.Trim());
        Assert.Empty(output);
    }

    [Theory]
    [InlineData("100ms", 100)]
    [InlineData("5s", 5_000)]
    [InlineData("1.5s", 1_500)]
    [InlineData("2m", 120_000)]
    [InlineData("1h", 3_600_000)]
    [InlineData("00:00:05", 5_000)]
    [InlineData("00:00:00.250", 250)]
    [InlineData("0", 0)]
    public void Durations_take_short_forms_and_hh_mm_ss(string text, int milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Durations.TryParse(text));

    [Theory]
    [InlineData("5")]
    [InlineData("5q")]
    [InlineData("-5s")]
    [InlineData("ms")]
    public void Durations_refuse_anything_else(string text) => Assert.Null(Durations.TryParse(text));

    [Theory]
    [InlineData(100, "100ms")]
    [InlineData(1_500, "1500ms")]
    [InlineData(5_000, "5s")]
    [InlineData(90_000, "90s")]
    [InlineData(120_000, "2m")]
    [InlineData(3_600_000, "1h")]
    [InlineData(0, "0")]
    [InlineData(0.5, "00:00:00.0005000")]
    public void Durations_print_as_they_are_typed_and_read_back(double milliseconds, string text)
    {
        var duration = TimeSpan.FromMilliseconds(milliseconds);

        Assert.Equal(text, Durations.Format(duration));
        Assert.Equal(duration, Durations.TryParse(text));
    }

    [Theory]
    [InlineData("--retry-delay", "100ms", "consume")]
    [InlineData("--commit-interval", "5s", "consume")]
    [InlineData("--stats-interval", "5s", "consume")]
    [InlineData("--retry-topic-delays", "10s,1m", "consume")]
    [InlineData("--idle-commit-delay", "100ms", "consume")]
    [InlineData("--idle-commit-delay", "100ms", "demo")]
    [InlineData("--idle-commit-delay", "100ms", "pipe")]
    [InlineData("--timeout", "2m", "demo")]
    [InlineData("--interval", "2s", "lag")]
    [InlineData("--handler-delay", "5ms", "verify")]
    [InlineData("--wait", "30s", "control", "pause")]
    [InlineData("--gone-after", "15s", "control", "pause")]
    public async Task Help_shows_duration_defaults_as_they_are_typed(string option, string shown, params string[] command)
    {
        var (exitCode, output, _) = await Run([.. command, "--help"]);

        Assert.Equal(0, exitCode);
        var help = Regex.Replace(output, @"\s+", " "); // a long description wraps onto the next line
        var at = help.IndexOf($"{option} <", StringComparison.Ordinal);
        Assert.True(at >= 0, $"no {option} in: {output}");
        var start = help.IndexOf("[default: ", at, StringComparison.Ordinal) + "[default: ".Length;
        Assert.Equal(shown, help[start..help.IndexOf(']', start)]);
    }

    [Fact]
    public void A_short_duration_is_accepted_on_the_command_line()
    {
        var parsed = ConveyorCommandLine.Create().Parse(["consume", "--retry-delay", "100ms", "--commit-interval", "5s"]);

        Assert.Empty(parsed.Errors);
        Assert.Equal(TimeSpan.FromMilliseconds(100), parsed.GetValue<Duration>("--retry-delay").Value);
    }

    [Theory]
    [InlineData("250ms", 250)]
    [InlineData("off", -1)] // Timeout.InfiniteTimeSpan: quiet partitions wait for the commit interval
    [InlineData("OFF", -1)]
    public void Idle_commit_delay_reaches_the_processor_options(string given, int milliseconds)
    {
        var engine = new EngineOptions();
        var command = new Command("consume");
        engine.AddTo(command);
        Durations.Apply(command);
        var parsed = command.Parse(["--idle-commit-delay", given]);

        Assert.Empty(parsed.Errors);
        var options = engine.ToProcessorOptions(new CommandContext(parsed, TextWriter.Null, TextWriter.Null), "topic", "group");
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), options.IdleCommitDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(100), engine.ToProcessorOptions(new CommandContext(command.Parse([]), TextWriter.Null, TextWriter.Null), "topic", "group").IdleCommitDelay);
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
    public void No_required_option_claims_a_default()
    {
        static IEnumerable<Command> All(Command command) => command.Subcommands.SelectMany(All).Prepend(command);

        var claims = All(ConveyorCommandLine.Create())
            .SelectMany(command => command.Options.Select(option => (command, option)))
            .Where(o => o.option.Required && (o.option.HasDefaultValue || (o.option.Description ?? "").Contains("default", StringComparison.OrdinalIgnoreCase)))
            .Select(o => $"{o.command.Name} {o.option.Name}: {o.option.Description}");

        Assert.Empty(claims);
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
        Assert.EndsWith("Check the -X name and value against librdkafka's CONFIGURATION.md (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md).", errors.Trim(), StringComparison.Ordinal);
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
        Assert.StartsWith("error: --transactional-id is missing", errors, StringComparison.Ordinal);
        Assert.DoesNotContain("--ordering", errors, StringComparison.Ordinal); // key ordering (the default) with completions persisted (the default) is exactly-once too
    }

    [Theory]
    [InlineData("127.0.0.1:5090")]
    [InlineData("localhost:0")]
    [InlineData("[::1]:5090")]
    [InlineData("0.0.0.0:65535")]
    public void The_dashboard_listens_on_any_host_and_port(string listen) => Assert.True(Conveyor.Cli.Dashboard.ListenAddress.IsValid(listen));

    [Fact]
    public void An_unforeseen_failure_is_one_line_that_points_at_verbose()
    {
        var line = CommandActions.Unforeseen(new AggregateException(new InvalidOperationException("Local: something\nbroke")), verbose: false);

        Assert.Equal("error: Local: something broke (InvalidOperationException; run again with --verbose for the stack trace)", line);
    }

    private static async Task<(int ExitCode, string Output, string Errors)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var errors = new StringWriter();
        var exitCode = await ConveyorCommandLine.InvokeAsync(args, output, errors);
        return (exitCode, output.ToString(), errors.ToString());
    }
}

public class CommandNameTests
{
    [Fact]
    public void Hints_name_the_installed_tool_outside_the_source_tree() =>
        Assert.Equal("conveyor", CommandName.For(Path.Combine(Path.GetTempPath(), Guid.NewGuid().ToString("N"), "tools")));

    [Fact]
    public void Hints_name_dotnet_run_when_the_program_runs_from_its_project_folder()
    {
        var project = Directory.CreateTempSubdirectory();
        try
        {
            File.WriteAllText(Path.Combine(project.FullName, "Conveyor.Cli.csproj"), "<Project />");
            var output = Directory.CreateDirectory(Path.Combine(project.FullName, "bin", "Debug", "net10.0")).FullName;

            Assert.Equal("dotnet run --project src/Conveyor.Cli --", CommandName.For(output + Path.DirectorySeparatorChar));
        }
        finally
        {
            project.Delete(recursive: true);
        }
    }
}
