using Conveyor.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers Conveyor processors as hosted services.</summary>
public static class ConveyorServiceCollectionExtensions
{
    /// <summary>The tag on every Conveyor health check.</summary>
    public const string HealthCheckTag = "conveyor";

    /// <summary>
    /// Adds a processor named <paramref name="name"/> that runs for the life of the host and hands each
    /// message to a <typeparamref name="THandler"/> resolved from a new scope. Its settings come from
    /// <paramref name="configuration"/> (the <see cref="Conveyor.Processing.ProcessorOptions"/>
    /// properties, librdkafka properties under <c>Kafka</c>) and are checked when the host starts,
    /// every problem reported at once. Adds a health check <c>conveyor-{name}</c> (tag <c>conveyor</c>).
    /// </summary>
    /// <typeparam name="TKey">The key type.</typeparam>
    /// <typeparam name="TValue">The value type.</typeparam>
    /// <typeparam name="THandler">The handler; registered as scoped unless it already is registered.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="name">A name unique among this host's processors (logs, health check, options name).</param>
    /// <param name="configuration">The processor's configuration section.</param>
    /// <param name="configure">Deserializers, an observer, health limits.</param>
    public static IServiceCollection AddConveyorProcessor<TKey, TValue, THandler>(
        this IServiceCollection services,
        string name,
        IConfiguration configuration,
        Action<ProcessorRegistration<TKey, TValue>>? configure = null)
        where THandler : class, IMessageHandler<TKey, TValue>
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

        services.AddOptions<ProcessorSettings>(name)
            .Configure(settings => ProcessorSettingsBinder.Bind(configuration, settings))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ProcessorSettings>>(new ProcessorSettingsValidator(name, (configuration as IConfigurationSection)?.Path));
        services.TryAddScoped<THandler>();
        services.TryAddSingleton(TimeProvider.System);

        services.AddKeyedSingleton(ServiceKey(name), (provider, _) => ActivatorUtilities.CreateInstance<ProcessorService<TKey, TValue, THandler>>(provider, name, registration));
        services.AddSingleton<IHostedService>(provider => provider.GetRequiredKeyedService<ProcessorService<TKey, TValue, THandler>>(ServiceKey(name)));
        services.AddSingleton<IHostedProcessor>(provider => provider.GetRequiredKeyedService<ProcessorService<TKey, TValue, THandler>>(ServiceKey(name)));
        services.AddHealthChecks().Add(new HealthCheckRegistration(
            $"conveyor-{name}",
            provider =>
            {
                var service = provider.GetRequiredKeyedService<ProcessorService<TKey, TValue, THandler>>(ServiceKey(name));
                return new ProcessorHealthCheck(
                    () => service.Status is { Failure: { } failure } status ? status with { Failure = service.Redact(failure) } : service.Status,
                    registration.MaxPollAge,
                    provider.GetRequiredService<TimeProvider>(),
                    () => service.LastError);
            },
            HealthStatus.Unhealthy,
            [HealthCheckTag]));
        return services;
    }

    private static string ServiceKey(string name) => "conveyor:" + name;
}
