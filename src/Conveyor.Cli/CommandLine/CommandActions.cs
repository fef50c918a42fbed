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
                await errors.WriteLineAsync($"error: {e.Message}").ConfigureAwait(false);
                return ExitCodes.Usage;
            }
            catch (Conveyor.Processing.ProcessorStoppedException e)
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
        });
    }
}
