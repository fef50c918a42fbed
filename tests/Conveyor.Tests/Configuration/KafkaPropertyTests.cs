using Conveyor.Configuration;

namespace Conveyor.Tests.Configuration;

public class KafkaPropertyTests
{
    [Fact]
    public void Parses_key_and_value()
    {
        var property = KafkaProperty.Parse("security.protocol=SASL_SSL");

        Assert.Equal(new KafkaProperty("security.protocol", "SASL_SSL"), property);
    }

    [Fact]
    public void Keeps_equals_signs_inside_the_value()
    {
        var property = KafkaProperty.Parse("sasl.oauthbearer.config=scope=a principal=b");

        Assert.Equal("sasl.oauthbearer.config", property.Key);
        Assert.Equal("scope=a principal=b", property.Value);
    }

    [Fact]
    public void Accepts_an_empty_value()
    {
        Assert.Equal(string.Empty, KafkaProperty.Parse("client.rack=").Value);
    }

    [Theory]
    [InlineData("no-equals-sign")]
    [InlineData("=value-without-key")]
    [InlineData("")]
    public void Rejects_text_that_is_not_key_equals_value(string text)
    {
        var error = Assert.Throws<FormatException>(() => KafkaProperty.Parse(text));

        Assert.Contains("expected key=value", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("-X", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Masks_a_secret_value_when_printed()
    {
        var shown = KafkaProperty.Parse("sasl.password=hunter2").ToString();

        Assert.Equal($"sasl.password={SecretProperties.Mask}", shown);
        Assert.DoesNotContain("hunter2", shown, StringComparison.Ordinal);
    }

    [Fact]
    public void Shows_an_ordinary_value_when_printed()
    {
        Assert.Equal("acks=all", KafkaProperty.Parse("acks=all").ToString());
    }
}
