namespace Conveyor.Docs.Snippets;

// The types the snippets use.
public sealed record Order(int Id, string Customer, decimal Amount);

public sealed record Event(string Name);

public sealed class OrdersDb
{
    public Task SaveAsync(Order order, CancellationToken ct) => Task.CompletedTask;
}

internal static class Stand
{
    public static Task SaveAsync(Order order, CancellationToken ct) => Task.CompletedTask;

    public static Task StoreAsync(Event value, CancellationToken ct) => Task.CompletedTask;

    public static string Describe(Order order) => $"order {order.Id}";

    public static string Bill(Order order) => $"{order.Customer}: {order.Amount}";
}
