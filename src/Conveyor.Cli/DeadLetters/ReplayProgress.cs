using Confluent.Kafka;
using Conveyor.DeadLetters;
using Spectre.Console;

namespace Conveyor.Cli.DeadLetters;

/// <summary>
/// How <c>dlq replay</c> reports each send: a progress bar on a terminal, one plain line per dead
/// letter when output is redirected (or written somewhere else). Failures are always printed.
/// </summary>
internal abstract class ReplayProgress
{
    public static ReplayProgress Create(TextWriter output, TextWriter consoleOutput, int total) =>
        !Console.IsOutputRedirected && ReferenceEquals(consoleOutput, Console.Out) ? new Bar(output, total) : new Lines(output);

    public abstract Task<T> RunAsync<T>(Func<Action<DeadLetter, DeliveryResult<byte[]?, byte[]?>?, Error?>, Task<T>> work);

    private static string Describe(DeadLetter letter) =>
        $"{letter.Topic} {DeadLetterLines.Position(letter)} ({DeadLetterLines.Source(letter)}, key {letter.Key ?? "(none)"})";

    private static string Failed(DeadLetter letter, Error error) => $"FAILED to replay {Describe(letter)}: {error.Reason}";

    private sealed class Lines(TextWriter output) : ReplayProgress
    {
        public override Task<T> RunAsync<T>(Func<Action<DeadLetter, DeliveryResult<byte[]?, byte[]?>?, Error?>, Task<T>> work) =>
            work((letter, delivered, error) => output.WriteLine(error is null
                ? $"replayed {Describe(letter)} to {delivered!.Topic}[{delivered.Partition.Value}]@{delivered.Offset.Value}"
                : Failed(letter, error)));
    }

    private sealed class Bar(TextWriter output, int total) : ReplayProgress
    {
        public override async Task<T> RunAsync<T>(Func<Action<DeadLetter, DeliveryResult<byte[]?, byte[]?>?, Error?>, Task<T>> work)
        {
            var failures = new List<string>();
            var result = await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .StartAsync(async progress =>
                {
                    var task = progress.AddTask("replaying dead letters", maxValue: total);
                    return await work((letter, _, error) =>
                    {
                        task.Increment(1);
                        if (error is not null)
                        {
                            failures.Add(Failed(letter, error));
                        }
                    }).ConfigureAwait(false);
                }).ConfigureAwait(false);
            foreach (var failure in failures)
            {
                await output.WriteLineAsync(failure).ConfigureAwait(false);
            }

            return result;
        }
    }
}
