using Conveyor.Hosting;
using Conveyor.Processing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.Hosting;

/// <summary>Runs a host with Conveyor processors and turns how it ended into an exit code.</summary>
public static class ConveyorHostExtensions
{
    /// <summary>The exit code when a processor failed and stopped the application.</summary>
    public const int ProcessorFailedExitCode = 1;

    /// <summary>The exit code when the configuration is invalid (nothing was started).</summary>
    public const int InvalidConfigurationExitCode = 2;

    /// <summary>
    /// Checks every Conveyor processor's settings (each problem, librdkafka's refusal to create a
    /// client included) before the host starts, then runs the host until it stops. Returns the
    /// process's exit code: 0 when it stopped normally, <see cref="ProcessorFailedExitCode"/> when
    /// a processor failed and stopped the application, <see cref="InvalidConfigurationExitCode"/>
    /// when the configuration is invalid; that is reported as one message on standard error,
    /// without a stack trace. Use it as <c>return await builder.Build().RunConveyorAsync();</c>.
    /// </summary>
    /// <param name="host">The built host.</param>
    /// <param name="cancellationToken">Stops the host, like <see cref="HostingAbstractionsHostExtensions.RunAsync"/>'s.</param>
    public static Task<int> RunConveyorAsync(this IHost host, CancellationToken cancellationToken = default) =>
        RunConveyorAsync(host, Console.Error, cancellationToken);

    internal static async Task<int> RunConveyorAsync(this IHost host, TextWriter errors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var processors = host.Services.GetServices<IHostedProcessor>().ToList();
        try
        {
            // Checked here rather than left to ValidateOnStart, whose failure the host logs with a stack trace.
            var problems = processors.SelectMany(Problems).ToList();
            if (problems.Count > 0)
            {
                throw new OptionsValidationException(nameof(ProcessorSettings), typeof(ProcessorSettings), problems);
            }

            await host.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OptionsValidationException e)
        {
            var failures = e.Failures.ToList();
            await errors.WriteLineAsync(
                $"error: invalid configuration ({failures.Count} problem{(failures.Count == 1 ? string.Empty : "s")}; nothing was started): {string.Join(" ", failures)}")
                .ConfigureAwait(false);
            return InvalidConfigurationExitCode;
        }

        return processors.Any(p => p.Status.State == ProcessorState.Failed) ? ProcessorFailedExitCode : 0;
    }

    private static IEnumerable<string> Problems(IHostedProcessor processor)
    {
        try
        {
            _ = processor.Settings;
            return [];
        }
        catch (OptionsValidationException e)
        {
            return e.Failures;
        }
    }
}
