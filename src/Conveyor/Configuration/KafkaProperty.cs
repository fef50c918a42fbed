namespace Conveyor.Configuration;

/// <summary>One librdkafka client property: its name and value, e.g. <c>security.protocol=SASL_SSL</c>.</summary>
/// <param name="Key">The librdkafka property name, e.g. <c>security.protocol</c>.</param>
/// <param name="Value">Its value; may be empty.</param>
public readonly record struct KafkaProperty(string Key, string Value)
{
    /// <summary>Parses <c>key=value</c>. The value may itself contain '='; the key may not be empty.</summary>
    /// <exception cref="FormatException">The text has no '=' or an empty key.</exception>
    public static KafkaProperty Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var separator = text.IndexOf('=', StringComparison.Ordinal);
        if (separator <= 0)
        {
            throw new FormatException(
                $"'{text}' is not a librdkafka property: expected key=value, e.g. security.protocol=SASL_SSL.");
        }

        return new KafkaProperty(text[..separator].Trim(), text[(separator + 1)..]);
    }

    /// <summary>The property as <c>key=value</c>, with the value masked when the key names a secret.</summary>
    public override string ToString() => $"{Key}={SecretProperties.MaskIfSecret(Key, Value)}";
}
