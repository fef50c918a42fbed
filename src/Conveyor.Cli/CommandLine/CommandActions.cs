using System.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Configuration;

namespace Conveyor.Cli.CommandLine;

/// <summary>
/// Runs a command's action and turns the failures a user can cause into a message and an exit
/// code, instead of a stack trace.
/// </summary>
internal static class CommandActions
{
    public static void SetAction(this Command command, Func<CommandContext, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var output = TextWriter.Synchronized(parsed.InvocationConfiguration.Output);
            var errors = TextWriter.Synchronized(parsed.InvocationConfiguration.Error);
            try
            {
                return await action(new CommandContext(parsed, output, errors), cancellationToken).ConfigureAwait(false);
            }
            catch (KafkaConfigurationException e)
            {
                await errors.WriteLineAsync($"error: {e.Message}{PropertyHint(e)}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (Conveyor.Processing.ProcessorStoppedException e)
            {
                await errors.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            catch (Conveyor.DeadLetters.DeadLetterReadException e)
            {
                await errors.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Failure;
            }
            catch (CommandFailedException e)
            {
                await errors.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return e.ExitCode;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return ExitCodes.Success; // Ctrl-C or SIGTERM: a requested, clean stop
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Anything else is a failure the CLI did not foresee: still one line, in the words
                // of whoever raised it (librdkafka's, through Confluent.Kafka), the trace on request.
                if (parsed.GetValue(ConveyorCommandLine.Verbose))
                {
                    await errors.WriteLineAsync(e.ToString()).ConfigureAwait(false);
                }

                await errors.WriteLineAsync(Unforeseen(e, parsed.GetValue(ConveyorCommandLine.Verbose))).ConfigureAwait(false);
                return ExitCodes.Failure;
            }
        });
    }

    /// <summary>What to do about a -X property librdkafka refused: its words name the property, not where the allowed ones are listed.</summary>
    private static string PropertyHint(KafkaConfigurationException e) =>
        e.Problems.Any(p => p.StartsWith("-X ", StringComparison.Ordinal))
            ? (e.Message.EndsWith('.') ? " " : ". ") + "Check the -X name and value against librdkafka's CONFIGURATION.md (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md)."
            : string.Empty;

    /// <summary>The one line for an exception the CLI has no specific message for.</summary>
    public static string Unforeseen(Exception e, bool verbose)
    {
        var inner = e is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : e;
        var words = inner.Message.ReplaceLineEndings(" ");
        return verbose
            ? $"error: {words} ({inner.GetType().Name})"
            : $"error: {words} ({inner.GetType().Name}; run again with --verbose for the stack trace)";
    }
}
