using Conveyor.Hosting;
using Conveyor.Processing;
using Conveyor.Processing.Batching;
using Conveyor.Processing.Forwarding;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Conveyor processors, forwarders and batch processors as hosted services.</summary>
public static class ConveyorServiceCollectionExtensions
{
    /// <summary>The tag on every Conveyor health check.</summary>
    public const string HealthCheckTag = "conveyor";

    /// <summary>
    /// Adds a processor named <paramref name="name"/> that runs for the life of the host and hands each
    /// message to a <typeparamref name="THandler"/> resolved from a new scope. Its settings come from
    /// <paramref name="configuration"/> (the <see cref="ProcessorOptions"/>
    /// properties, librdkafka properties under <c>Kafka</c>) and are checked when the host starts,
    /// every problem reported at once. Adds a health check <c>conveyor-{name}</c> (tag <c>conveyor</c>).
    /// </summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <typeparam name="THandler">The handler; registered as scoped unless it already is registered.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">A name unique among this host's processors (logs, health check, options name).</param>
    /// <param name="configuration">Its configuration section.</param>
    /// <param name="configure">Deserializers, an observer, health limits.</param>
    public static IServiceCollection AddConveyorProcessor<TKey, TValue, THandler>(this IServiceCollection services, string name, IConfiguration configuration, Action<ProcessorRegistration<TKey, TValue>>? configure = null)
        where THandler : class, IMessageHandler<TKey, TValue> =>
        services.AddConveyor<TKey, TValue, THandler>(name, configuration, configure, ProcessorKind.Processor, (builder, scopes) =>
            builder.Handle((message, ct) => InScopeAsync<THandler>(scopes, handler => handler.HandleAsync(message, ct))));

    /// <summary>
    /// Adds a forwarder named <paramref name="name"/> (consume, transform, produce; see
    /// <see cref="KafkaForwarder{TKey, TValue}"/>) that runs for the life of the host and hands each
    /// message to a <typeparamref name="THandler"/> resolved from a new scope. Configured, checked and
    /// health-checked like <see cref="AddConveyorProcessor{TKey, TValue, THandler}"/>; the
    /// <c>Kafka</c> properties serve the consumer and the output producer, and <c>Guarantee</c>
    /// may be <c>ExactlyOnce</c> (with <c>TransactionalId</c>). An observer that is an
    /// <see cref="IForwardingObserver"/> also hears each forwarded message.
    /// </summary>
    /// <inheritdoc cref="AddConveyorProcessor{TKey, TValue, THandler}" path="/typeparam|/param"/>
    public static IServiceCollection AddConveyorForwarder<TKey, TValue, THandler>(this IServiceCollection services, string name, IConfiguration configuration, Action<ProcessorRegistration<TKey, TValue>>? configure = null)
        where THandler : class, Conveyor.Hosting.IForwardingHandler<TKey, TValue> =>
        services.AddConveyor<TKey, TValue, THandler>(name, configuration, configure, ProcessorKind.Forwarder, (builder, scopes) =>
            builder.Forward((message, ct) => InScopeAsync<THandler, IReadOnlyList<OutputRecord>>(scopes, handler => handler.HandleAsync(message, ct))));

    /// <summary>
    /// Adds a batch processor named <paramref name="name"/> (see <see cref="KafkaBatchProcessor{TKey, TValue}"/>)
    /// that runs for the life of the host and hands each batch to a <typeparamref name="THandler"/>
    /// resolved from a new scope. Configured, checked and health-checked like
    /// <see cref="AddConveyorProcessor{TKey, TValue, THandler}"/>; batches are set under <c>Batch</c>
    /// (<c>MaxMessages</c>, <c>MaxBytes</c>, <c>MaxWait</c>).
    /// </summary>
    /// <inheritdoc cref="AddConveyorProcessor{TKey, TValue, THandler}" path="/typeparam|/param"/>
    public static IServiceCollection AddConveyorBatchProcessor<TKey, TValue, THandler>(this IServiceCollection services, string name, IConfiguration configuration, Action<ProcessorRegistration<TKey, TValue>>? configure = null)
        where THandler : class, IBatchHandler<TKey, TValue> =>
        services.AddConveyor<TKey, TValue, THandler>(name, configuration, configure, ProcessorKind.BatchProcessor, (builder, scopes) =>
            builder.HandleBatches((batch, ct) => InScopeAsync<THandler>(scopes, handler => handler.HandleAsync(batch, ct))));

    /// <summary>
    /// What the three registrations share: settings bound and validated at start, the handler, the
    /// hosted service, the health check. They differ only in what <paramref name="shape"/> gives the
    /// builder (<see cref="KafkaProcessorBuilder{TKey, TValue}.Handle"/>, <c>Forward</c> or <c>HandleBatches</c>).
    /// </summary>
    private static IServiceCollection AddConveyor<TKey, TValue, THandler>(
        this IServiceCollection services,
        string name,
        IConfiguration configuration,
        Action<ProcessorRegistration<TKey, TValue>>? configure,
        ProcessorKind kind,
        Func<KafkaProcessorBuilder<TKey, TValue>, IServiceScopeFactory, KafkaProcessorBuilder<TKey, TValue>> shape)
        where THandler : class
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(configuration);
        if (services.Any(s => s.IsKeyedService && Equals(s.ServiceKey, ServiceKey(name))))
        {
            throw new ArgumentException($"A Conveyor processor named '{name}' is already registered.", nameof(name));
        }

        var registration = new ProcessorRegistration<TKey, TValue>();
        configure?.Invoke(registration);
        registration.Validate();

        services.AddOptions<ProcessorSettings>(name)
            .Configure(settings =>
            {
                ProcessorSettingsBinder.Bind(configuration, settings);
                settings.Kind = kind;
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProcessorSettings>>(new ProcessorSettingsValidator(name, (configuration as IConfigurationSection)?.Path, kind));
        services.TryAddScoped<THandler>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddKeyedSingleton(ServiceKey(name), (provider, _) =>
        {
            var scopes = provider.GetRequiredService<IServiceScopeFactory>();
            return new ProcessorService(
                name,
                (client, options, observer) => shape(registration.Apply(new KafkaProcessorBuilder<TKey, TValue>(client, options)).SetObserver(observer), scopes).Build(),
                registration.Observer,
                provider.GetRequiredService<IOptionsMonitor<ProcessorSettings>>(),
                provider.GetRequiredService<IHostApplicationLifetime>(),
                provider.GetRequiredService<ILoggerFactory>());
        });
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<ProcessorService>(ServiceKey(name)));
        services.AddSingleton<IHostedProcessor>(provider => provider.GetRequiredKeyedService<ProcessorService>(ServiceKey(name)));
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"conveyor-{name}",
            provider =>
            {
                var service = provider.GetRequiredKeyedService<ProcessorService>(ServiceKey(name));
                return new ProcessorHealthCheck(() => service.Status, registration.MaxPollAge, provider.GetRequiredService<TimeProvider>());
            },
            HealthStatus.Unhealthy,
            [HealthCheckTag]));
        return services;
    }

    /// <summary>Runs the handler from a new scope (the processor's status counts the call).</summary>
    private static async ValueTask InScopeAsync<THandler>(IServiceScopeFactory scopes, Func<THandler, ValueTask> handle)
        where THandler : notnull
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            await handle(scope.ServiceProvider.GetRequiredService<THandler>()).ConfigureAwait(false);
        }
    }

    private static async ValueTask<TResult> InScopeAsync<THandler, TResult>(IServiceScopeFactory scopes, Func<THandler, ValueTask<TResult>> handle)
        where THandler : notnull
    {
        var scope = scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            return await handle(scope.ServiceProvider.GetRequiredService<THandler>()).ConfigureAwait(false);
        }
    }

    private static string ServiceKey(string name) => "conveyor:" + name;
}
