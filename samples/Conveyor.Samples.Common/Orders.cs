using System.Text.Json;

namespace Conveyor.Samples;

/// <summary>An order, as the samples send and read it (JSON, camelCase).</summary>
public sealed record Order(int Id, string Customer, decimal Amount);

public static class Orders
{
    /// <summary><paramref name="count"/> orders keyed by customer; every <paramref name="malformedEvery"/>th is not JSON (0: none).</summary>
    public static IEnumerable<(string Key, string Value)> Sample(int count, int malformedEvery = 0)
    {
        for (var id = 1; id <= count; id++)
        {
            var customer = $"customer-{id % 4}";
            yield return malformedEvery > 0 && id % malformedEvery == 0
                ? (customer, $"order {id}, not JSON")
                : (customer, JsonSerializer.Serialize(new Order(id, customer, id * 10m), JsonSerializerOptions.Web));
        }
    }

    public static bool KeepRunning(string[] args) => args.Contains("--keep-running");
}
