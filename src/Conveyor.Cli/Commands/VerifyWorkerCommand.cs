using System.CommandLine;
using Conveyor.Cli.CommandLine;
using Conveyor.Cli.Kafka;
using Conveyor.Cli.Verify;
using Conveyor.Configuration;
using Conveyor.Processing;

namespace Conveyor.Cli.Commands;

/// <summary><c>conveyor verify-worker</c> (hidden): one worker process of <c>conveyor verify</c>.</summary>
internal static class VerifyWorkerCommand
{
    public static Command Create()
    {
        var kafka = new KafkaOptions();
        var input = new Option<string>("--input") { Required = true };
        var output = new Option<string>("--output") { Required = true };
        var strategy = new Option<string>("--strategy") { DefaultValueFactory = _ => "engine" };
        strategy.AcceptOnlyFromAmong("engine", "naive");
        var ordering = new Option<OrderingMode>("--ordering") { DefaultValueFactory = _ => OrderingMode.Key };
        var failRate = new Option<double>("--fail-rate");
        var permanentEvery = new Option<int>("--permanent-every");
        var slowRate = new Option<double>("--slow-rate");
        var seed = new Option<int>("--seed");
        var handlerDelay = new Option<Duration>("--handler-delay");
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 8 };
        var transactionalId = new Option<string?>("--transactional-id");
        var completions = new Option<string>("--completions") { DefaultValueFactory = _ => "persisted" };
        completions.AcceptOnlyFromAmong("persisted", "watermark");
        var retryTopics = new Option<bool>("--retry-topics");
        var adaptive = new Option<bool>("--adaptive");

        var command = new Command("verify-worker", "One worker process of conveyor verify")
        {
            input, output, strategy, ordering, failRate, permanentEvery, slowRate, seed, handlerDelay, concurrency, transactionalId, completions, retryTopics, adaptive,
        };
        command.Hidden = true;
        command.Add(kafka.BootstrapServers);
        command.Add(kafka.Properties);
        command.Add(kafka.Group);
        command.SetAction(async (context, cancellationToken) =>
        {
            var settings = new WorkerSettings(
                context.Get(input), context.Get(output), context.Get(kafka.Group), context.Get(strategy),
                context.Get(failRate), context.Get(permanentEvery), context.Get(slowRate), context.Get(seed), context.Get(ordering),
                context.Get(handlerDelay), context.Get(concurrency), context.Get(transactionalId), context.Get(completions) == "persisted", context.Get(retryTopics),
                context.Get(adaptive));
            var given = kafka.GetSettings(context).Properties;
            // The verifier's own -X settings (session timeout, assignor) come first; the user's properties, passed in the environment, win.
            var inherited = WorkerEnvironment.ReadProperties(Environment.GetEnvironmentVariable(WorkerEnvironment.PropertiesVariable));
            var properties = new KafkaClientProperties(given.BootstrapServers, [.. given.Properties, .. inherited, .. WorkerTrace.Debug]);
            KafkaOptions.Validate(properties);
            await new VerifyWorker(new ClientSettings(properties), settings, context.Output, context.Errors).RunAsync(cancellationToken).ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }
}
