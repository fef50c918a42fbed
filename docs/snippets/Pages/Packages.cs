using Conveyor.Testing;

namespace Conveyor.Docs.Snippets;

/// <summary>The snippets of the package READMEs (src/*/README.md) that are not a whole quickstart.</summary>
internal static class Packages
{
    public static async Task<int> AspNetCoreAsync(string[] args)
    {
        #region aspnetcore
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddConveyorProcessor<string, Order, OrderHandler>(
            "orders", builder.Configuration.GetSection("Conveyor:Processors:Orders"));
        var app = builder.Build();
        app.MapConveyorHealth();      // GET /health/live, /health/ready
        app.MapConveyorDashboard();   // /conveyor
        return await app.RunConveyorAsync(); // 0 stopped, 1 a processor failed, 2 invalid configuration
        #endregion
    }

    public static async Task TestingAsync()
    {
        #region testing
        await using var cluster = EmbeddedKafkaCluster.Start(new EmbeddedKafkaOptions
        {
            Topics = [new TopicSpec("orders", Partitions: 6)],
        });
        // Any Kafka client: bootstrap.servers = cluster.BootstrapServers
        cluster.CreateTopic("orders.dlq", partitions: 1);
        #endregion
    }
}
