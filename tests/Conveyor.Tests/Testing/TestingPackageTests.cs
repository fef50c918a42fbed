using Confluent.Kafka;
using Conveyor.Testing;

namespace Conveyor.Tests.Testing;

/// <summary>What the shipped Conveyor.Testing package holds: what users call, none of Conveyor's own test support.</summary>
public sealed class TestingPackageTests
{
    [Fact]
    public void The_testing_package_ships_no_client_doubles_of_conveyors_own_tests()
    {
        Type[] clients = [typeof(IProducer<,>), typeof(IConsumer<,>)];

        var doubles = typeof(EmbeddedKafkaCluster).Assembly.GetTypes()
            .Where(t => t.GetInterfaces().Any(i => i.IsGenericType && clients.Contains(i.GetGenericTypeDefinition())))
            .Select(t => t.FullName);

        Assert.Empty(doubles);
    }
}
