using System.Text;
using Conveyor.Cli.CommandLine;

namespace Conveyor.Tests.Cli;

/// <summary>Ctrl-C and SIGTERM at any moment of a run, the first moments included, are heard and said.</summary>
public class InterruptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData("SIGINT", "Ctrl-C", 130)]
    [InlineData("SIGTERM", "SIGTERM", 143)] // a service manager stopping the process
    public async Task A_signal_before_the_command_started_stops_it_before_it_does_anything_with_one_line_and_its_exit_code(string signal, string said, int exitCode)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        using var interrupts = Interrupts.Unheard(errors);
        Send(interrupts, signal); // while the command line was still being built

        // Run, this would report the refused cluster and exit 1.
        var exited = await ConveyorCommandLine.InvokeAsync(["produce", "-b", "127.0.0.1:1", "--count", "1"], interrupts, output, errors).WaitAsync(Timeout);

        Assert.Equal(exitCode, exited);
        Assert.Equal([$"{said} before the command started: stopping now; nothing was done"], errors.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(output.ToString());
    }

    [Theory]
    [InlineData("SIGINT", "interrupts:1")]
    [InlineData("SIGTERM", "interrupts-term:1")]
    public async Task A_signal_once_the_command_runs_is_a_clean_stop(string signal, string topic)
    {
        var output = new LineSignal("press Ctrl-C to stop");
        var errors = new StringWriter();
        using var interrupts = Interrupts.Unheard(errors);

        var run = ConveyorCommandLine.InvokeAsync(["broker", "--topic", topic], interrupts, output, errors);
        await output.Seen.WaitAsync(Timeout);
        Send(interrupts, signal);

        Assert.Equal(0, await run.WaitAsync(Timeout));
        Assert.Contains("embedded Kafka broker stopped", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(errors.ToString());
    }

    [Theory]
    [InlineData("SIGINT", "SIGINT", "second Ctrl-C", 130)]
    [InlineData("SIGINT", "SIGTERM", "second SIGTERM", 143)]
    [InlineData("SIGTERM", "SIGTERM", "second SIGTERM", 143)]
    [InlineData("SIGTERM", "SIGINT", "second Ctrl-C", 130)]
    public void A_second_signal_of_either_kind_stops_at_once_with_one_line_and_its_own_exit_code(string first, string second, string said, int exitCode)
    {
        var errors = new StringWriter();
        var exits = new List<int>();
        using var interrupts = Interrupts.Unheard(errors, exits.Add);

        Send(interrupts, first);
        Assert.True(interrupts.Stop.IsCancellationRequested);
        Assert.Empty(exits);
        Assert.Empty(errors.ToString());

        Send(interrupts, second);
        Assert.Equal([exitCode], exits);
        Assert.Equal([$"{said}: stopping now, without waiting for running handlers or the final commit"], errors.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_command_that_does_not_stop_within_the_stop_timeout_of_the_first_signal_ends_with_one_line_and_the_signal_exit_code()
    {
        var errors = new StringWriter();
        using var interrupts = Interrupts.Unheard(errors);
        var stuck = new TaskCompletionSource<int>(); // a command whose stop hangs

        var waiting = interrupts.UntilStoppedAsync(stuck.Task, TimeSpan.FromMilliseconds(100));
        Assert.False(waiting.IsCompleted); // no signal: it waits for the command however long it runs
        interrupts.Terminate();

        Assert.Equal(143, await waiting.WaitAsync(Timeout));
        Assert.Equal(["the command did not stop within 0.1 s of the SIGTERM: stopping now, without waiting for running handlers or the final commit"], errors.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task A_command_that_stops_within_the_stop_timeout_keeps_its_own_exit_code()
    {
        var errors = new StringWriter();
        using var interrupts = Interrupts.Unheard(errors);
        var run = new TaskCompletionSource<int>();

        var waiting = interrupts.UntilStoppedAsync(run.Task, Timeout);
        interrupts.Press();
        run.SetResult(0); // drained and committed

        Assert.Equal(0, await waiting.WaitAsync(Timeout));
        Assert.Empty(errors.ToString());
    }

    private static void Send(Interrupts interrupts, string signal)
    {
        if (signal == "SIGTERM")
        {
            interrupts.Terminate();
        }
        else
        {
            interrupts.Press();
        }
    }

    /// <summary>Records lines and completes <see cref="Seen"/> when one equals the awaited line.</summary>
    private sealed class LineSignal(string awaited) : StringWriter
    {
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Seen => _seen.Task;

        public override Encoding Encoding => Encoding.UTF8;

        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value == awaited)
            {
                _seen.TrySetResult();
            }
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
