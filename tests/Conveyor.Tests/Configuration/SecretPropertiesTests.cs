using Conveyor.Configuration;

namespace Conveyor.Tests.Configuration;

public class SecretPropertiesTests
{
    [Theory]
    [InlineData("sasl.password")]
    [InlineData("ssl.key.password")]
    [InlineData("ssl.keystore.password")]
    [InlineData("ssl.truststore.password")]
    [InlineData("ssl.key.pem")]
    [InlineData("sasl.oauthbearer.client.secret")]
    [InlineData("sasl.oauthbearer.config")]
    [InlineData("SASL.PASSWORD")]
    public void Knows_secret_properties(string key)
    {
        Assert.True(SecretProperties.IsSecret(key));
    }

    [Theory]
    [InlineData("bootstrap.servers")]
    [InlineData("sasl.username")]
    [InlineData("security.protocol")]
    [InlineData("group.id")]
    public void Leaves_ordinary_properties_visible(string key)
    {
        Assert.False(SecretProperties.IsSecret(key));
        Assert.Equal("value", SecretProperties.MaskIfSecret(key, "value"));
    }

    [Fact]
    public void Redacts_secret_values_inside_a_message()
    {
        var properties = new Dictionary<string, string> { ["sasl.password"] = "hunter2", ["sasl.username"] = "alice" };

        var redacted = SecretProperties.Redact("login failed for alice with hunter2", properties);

        Assert.Equal($"login failed for alice with {SecretProperties.Mask}", redacted);
    }
}
