using Conveyor.Configuration;
using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.IntegrationTests.Support;

/// <summary>Runs a processor on a cluster until a test's condition holds, then stops it cleanly.</summary>
internal static class ProcessorRun
{
    /// <summary>
    /// Runs until <paramref name="done"/> holds (checked after every handler call and every
    /// observer event), then stops the processor and waits for its clean stop.
    /// </summary>
    /// <param name="bootstrapServers">The cluster.</param>
    /// <param name="options">The processor's options.</param>
    /// <param name="observer">Hears the processor's events.</param>
    /// <param name="handler">The test's handler.</param>
    /// <param name="done">The condition that ends the run.</param>
    /// <param name="beforeStop">Runs once the condition held, before the stop (e.g. to read what was committed while running).</param>
    /// <param name="onEvent">Runs on every observer event, before the condition is checked.</param>
    /// <param name="properties">librdkafka properties for the processor's clients.</param>
    public static async Task UntilAsync<TValue>(
        string bootstrapServers,
        ProcessorOptions options,
        IProcessorObserver observer,
        MessageHandler<string, TValue> handler,
        Func<bool> done,
        Action? beforeStop = null,
        Action? onEvent = null,
        IReadOnlyList<KafkaProperty>? properties = null)
    {
        var conditionMet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        MessageHandler<string, TValue> checkedHandler = async (message, ct) =>
        {
            try
            {
                await handler(message, ct);
            }
            finally
            {
                if (done())
                {
                    conditionMet.TrySetResult();
                }
            }
        };
        var processor = new KafkaProcessorBuilder<string, TValue>(new KafkaClientProperties(bootstrapServers, properties ?? []), options).SetObserver(CheckingObserver.Create(observer, () =>
        {
            onEvent?.Invoke();
            if (done())
            {
                conditionMet.TrySetResult();
            }
        })).Handle(checkedHandler).Build();
        await WhileAsync(processor, async running =>
        {
            await Task.WhenAny(conditionMet.Task, running).WaitAsync(Timeouts.Flow * 2);
            beforeStop?.Invoke();
        });
        Assert.True(done(), "the processor stopped before the test's condition held");
    }

    /// <summary>
    /// Runs a forwarder until <paramref name="done"/> holds (checked after every observer event),
    /// then stops it and waits for its clean stop.
    /// </summary>
    /// <param name="client">The cluster and the clients' properties.</param>
    /// <param name="options">The forwarder's options.</param>
    /// <param name="observer">Hears the forwarder's events, those of its own interface included (an <c>IForwardingObserver</c>, an <c>ITransactionObserver</c>).</param>
    /// <param name="handler">The test's handler.</param>
    /// <param name="done">The condition that ends the run.</param>
    /// <param name="why">Said when the forwarder stopped before the condition held (e.g. the errors it reported).</param>
    public static async Task ForwardUntilAsync<TObserver>(
        KafkaClientProperties client,
        ProcessorOptions options,
        TObserver observer,
        ForwardingHandler<string, string> handler,
        Func<bool> done,
        Func<string>? why = null)
        where TObserver : class, IProcessorObserver
    {
        var conditionMet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var checking = CheckingObserver.CreateAs<TObserver>(observer, () =>
        {
            if (done())
            {
                conditionMet.TrySetResult();
            }
        });
        var forwarder = new KafkaProcessorBuilder<string, string>(client, options).SetObserver(checking).Forward(handler).Build();
        await WhileAsync(forwarder, running => Task.WhenAny(conditionMet.Task, running).WaitAsync(Timeouts.Flow * 2));
        Assert.True(done(), "the forwarder stopped before the test's condition held" + (why is null ? "" : "; " + why()));
    }

    /// <summary>
    /// Runs a built processor while <paramref name="whileRunning"/> runs (the test's waits, given
    /// the run so it may stop waiting if the run ends), then stops it and waits for its clean stop.
    /// </summary>
    public static async Task WhileAsync(IKafkaProcessor processor, Func<Task, Task> whileRunning)
    {
        using var stop = new CancellationTokenSource();
        var running = processor.RunAsync(stop.Token);
        await whileRunning(running);
        await stop.CancelAsync();
        await running.WaitAsync(Timeouts.Stop);
    }
}
