using Conveyor.Hosting;
using Conveyor.Processing;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddConveyorProcessor<string, Order, OrderHandler>(
    "orders", builder.Configuration.GetSection("Conveyor:Processors:Orders"));
return await builder.Build().RunConveyorAsync(); // 0 stopped, 1 a processor failed, 2 invalid configuration

sealed class OrderHandler(ILogger<OrderHandler> log) : IMessageHandler<string, Order> // one per message, in its own scope
{
    public ValueTask HandleAsync(MessageContext<string, Order> message, CancellationToken ct)
    {
        log.LogInformation("order {Id}: {Amount}", message.Value.Id, message.Value.Amount); // throw to fail: retried, then dead-lettered
        return ValueTask.CompletedTask;
    }
}

record Order(int Id, decimal Amount);
