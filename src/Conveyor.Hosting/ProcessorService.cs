using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.Processing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conveyor.Hosting;

/// <summary>
/// Runs one <see cref="IKafkaProcessor"/> (a processor, a forwarder or a batch processor) for the
/// life of the host. Stopping the host cancels it, so it drains and commits before the host's
/// shutdown timeout; a <see cref="ProcessorStoppedException"/> (or any other failure) is logged,
/// stops the whole application and sets the process's exit code to 1.
/// </summary>
internal sealed class ProcessorService : BackgroundService, IHostedProcessor
{
    private readonly string _name;
    private readonly Func<KafkaClientProperties, ProcessorOptions, IProcessorObserver, IKafkaProcessor> _create;
    private readonly IProcessorObserver? _userObserver;
    private readonly IOptionsMonitor<ProcessorSettings> _settings;
    private readonly IHostApplicationLifetime _lifetime;
    private readonly ILogger _logger;
    private readonly ILogger _clientLogger;
    private IKafkaProcessor? _processor;
    private LoggingObserver? _observer;
    private Dictionary<string, string> _kafka = [];

    /// <param name="name">The processor's name (logs, health check, options name).</param>
    /// <param name="create">Makes the processor from its client properties, options and observer (which logs, then tells the user's).</param>
    /// <param name="userObserver">The user's observer, if any.</param>
    /// <param name="activity">Counts what the processor does, for the dashboard (the handler calls are counted by <paramref name="create"/>'s handler).</param>
    /// <param name="settings">The bound settings.</param>
    /// <param name="lifetime">Stopped when the processor fails.</param>
    /// <param name="loggers">The host's loggers.</param>
    public ProcessorService(
        string name,
        Func<KafkaClientProperties, ProcessorOptions, IProcessorObserver, IKafkaProcessor> create,
        IProcessorObserver? userObserver,
        ProcessorActivity activity,
        IOptionsMonitor<ProcessorSettings> settings,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers)
    {
        _name = name;
        _create = create;
        _userObserver = userObserver;
        Activity = activity;
        _settings = settings;
        _lifetime = lifetime;
        _logger = loggers.CreateLogger("Conveyor.Hosting.Processor");
        _clientLogger = loggers.CreateLogger(ProcessorSetup.ClientLogCategory);
    }

    public string Name => _name;

    public ProcessorSettings Settings => _settings.Get(_name);

    /// <summary>What the processor has done, for the dashboard.</summary>
    public ProcessorActivity Activity { get; }

    /// <summary>The processor's state; <see cref="ProcessorState.NotStarted"/> before the host starts it.</summary>
    public ProcessorStatus Status => _processor?.Status ?? new ProcessorStatus(ProcessorState.NotStarted, null, [], [], null);

    /// <summary>The last failure the processor reported, with every secret property value masked; null while none.</summary>
    public LastError? LastError => _observer?.LastError is { } error ? error with { Message = Redact(error.Message) } : null;

    /// <summary>Replaces the values of secret librdkafka properties (passwords, keys, tokens) in a text with a mask.</summary>
    public string Redact(string text) => SecretProperties.Redact(text, Volatile.Read(ref _kafka));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Let the host finish starting; the processor's constructor and first poll run on a worker thread.
        await Task.Yield();
        var settings = _settings.Get(_name);
        var options = settings.Processor;
        Volatile.Write(ref _kafka, new Dictionary<string, string>(settings.Kafka));
        var observer = new LoggingObserver(_logger, _clientLogger, _name, new CompositeObserver(Activity, _userObserver));
        _observer = observer;
        _processor = _create(settings.ToClientProperties(), options, observer);
        Log.Starting(_logger, _name, options.GroupId, string.Join(", ", options.Topics));
        try
        {
            await _processor.RunAsync(stoppingToken).ConfigureAwait(false);
            Log.Stopped(_logger, _name);
        }
        catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
        {
            // ProcessorStoppedException (StopProcessor, fatal client error) or anything unexpected:
            // the application cannot do its work without this processor.
            Log.Failed(_logger, _name, e.Message, e);
            // The host stops normally after a failed BackgroundService, so its process would exit 0:
            // the exit code of a Main without a return value (builder.Build().Run()) says it failed.
            Environment.ExitCode = ConveyorHostExtensions.ProcessorFailedExitCode;
            _lifetime.StopApplication();
            throw;
        }
    }
}
