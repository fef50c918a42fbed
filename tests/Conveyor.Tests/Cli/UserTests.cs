using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Conveyor.Cli.Tutorial;

namespace Conveyor.Tests.Cli;

public class UserTests
{
    [Fact]
    public void Numbered_user_follows_the_tutorials_naming()
    {
        var user = User.Numbered(7);

        Assert.Equal("user-7", user.Key);
        Assert.Equal("user-7@foobar.com", user.Email);
    }

    [Fact]
    public void Serializes_as_the_tutorials_json_and_back()
    {
        var bytes = User.Json.Serialize(User.Numbered(3), SerializationContext.Empty);

        Assert.Equal("{\"id\":3,\"email\":\"user-3@foobar.com\"}", Encoding.UTF8.GetString(bytes));
        Assert.Equal(User.Numbered(3), User.Json.Deserialize(bytes, isNull: false, SerializationContext.Empty));
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"id\":1}")]
    [InlineData("{\"id\":1,\"email\":null}")]
    [InlineData("{\"id\":\"one\",\"email\":\"a@b\"}")]
    [InlineData("[1,2]")]
    public void Rejects_values_that_are_not_a_user(string json)
    {
        Assert.ThrowsAny<JsonException>(() => User.Json.Deserialize(Encoding.UTF8.GetBytes(json), isNull: false, SerializationContext.Empty));
    }
}
