using Conveyor.Hosting;
using Conveyor.Processing;

namespace Conveyor.Samples.Worker;

/// <summary>Handles one order. Resolved from a new scope per message, so it may use scoped services.</summary>
public sealed partial class OrderHandler(OrderTally tally, ILogger<OrderHandler> logger) : IMessageHandler<string, Order>
{
    public async ValueTask HandleAsync(MessageContext<string, Order> message, CancellationToken cancellationToken)
    {
        if (message.Value.Amount < 0)
        {
            // Fails every attempt: retried, then written to orders.dlq with the reason in its headers.
            throw new InvalidOperationException($"order {message.Value.Id} has a negative amount");
        }

        await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken); // the work
        Handled(logger, message.Value.Id, message.Value.Customer, message.Partition, message.Offset);
        tally.Settled();
    }

    [LoggerMessage(1, LogLevel.Information, "handled order {Id} for {Customer} (partition {Partition}, offset {Offset})")]
    private static partial void Handled(ILogger logger, int id, string customer, int partition, long offset);
}
