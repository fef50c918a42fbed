using System.Text;
using Conveyor.Cli.CommandLine;

namespace Conveyor.Tests.Cli;

/// <summary>Ctrl-C at any moment of a run, the first moments included, is heard and said.</summary>
public class InterruptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Ctrl_c_before_the_command_started_stops_it_before_it_does_anything_with_one_line_and_exit_130()
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        using var interrupts = Interrupts.Unheard(errors);
        interrupts.Press(); // while the command line was still being built

        // Run, this would report the refused cluster and exit 1.
        var exitCode = await ConveyorCommandLine.InvokeAsync(["produce", "-b", "127.0.0.1:1", "--count", "1"], interrupts, output, errors).WaitAsync(Timeout);

        Assert.Equal(130, exitCode);
        Assert.Equal([Interrupts.BeforeStartLine], errors.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Empty(output.ToString());
    }

    [Fact]
    public async Task Ctrl_c_once_the_command_runs_is_a_clean_stop()
    {
        var output = new LineSignal("press Ctrl-C to stop");
        var errors = new StringWriter();
        using var interrupts = Interrupts.Unheard(errors);

        var run = ConveyorCommandLine.InvokeAsync(["broker", "--topic", "interrupts:1"], interrupts, output, errors);
        await output.Seen.WaitAsync(Timeout);
        interrupts.Press();

        Assert.Equal(0, await run.WaitAsync(Timeout));
        Assert.Contains("embedded Kafka broker stopped", output.ToString(), StringComparison.Ordinal);
        Assert.Empty(errors.ToString());
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
