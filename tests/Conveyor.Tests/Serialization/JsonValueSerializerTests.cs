using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Conveyor.Serialization;

namespace Conveyor.Tests.Serialization;

public class JsonValueSerializerTests
{
    public sealed record Order(int Id, decimal Amount, string? Note = null);

    public sealed class Shipment
    {
        public required string Address { get; init; }

        public int Parcels { get; init; }
    }

    [Fact]
    public void A_message_missing_a_record_property_does_not_deserialize_with_a_default_in_its_place()
    {
        var json = new JsonValueSerializer<Order>();

        Assert.Equal(new Order(7, 12.5m), Deserialize(json, """{"id":7,"amount":12.5}"""));
        var missing = Assert.Throws<JsonException>(() => Deserialize(json, """{"id":7}"""));
        Assert.Contains("amount", missing.Message, StringComparison.Ordinal);
        Assert.Throws<JsonException>(() => Deserialize(json, """{"email":"user-7@example.com"}"""));
    }

    [Fact]
    public void Required_members_and_non_nullable_ones_are_respected_and_others_stay_optional()
    {
        var json = new JsonValueSerializer<Shipment>();

        Assert.Equal(0, Deserialize(json, """{"address":"Main St 1"}""").Parcels);
        Assert.Throws<JsonException>(() => Deserialize(json, """{"parcels":2}"""));
        Assert.Throws<JsonException>(() => Deserialize(json, """{"address":null}"""));
    }

    [Fact]
    public void Users_options_replace_the_defaults()
    {
        var lenient = new JsonValueSerializer<Order>(new JsonSerializerOptions(JsonSerializerDefaults.Web));

        Assert.Equal(new Order(7, 0m), Deserialize(lenient, """{"id":7}"""));
    }

    private static T Deserialize<T>(JsonValueSerializer<T> json, string text) =>
        json.Deserialize(Encoding.UTF8.GetBytes(text), isNull: false, SerializationContext.Empty);
}
