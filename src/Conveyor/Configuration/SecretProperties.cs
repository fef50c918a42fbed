namespace Conveyor.Configuration;

/// <summary>
/// Knows which librdkafka properties carry secrets, so that nothing Conveyor prints or logs shows them.
/// </summary>
internal static class SecretProperties
{
    /// <summary>What a secret value is shown as.</summary>
    public const string Mask = "********";

    // Matched on parts of the name rather than a fixed list, so new librdkafka secrets
    // (e.g. sasl.oauthbearer.client.secret, ssl.keystore.password) are masked too.
    private static readonly string[] SecretNameParts =
    [
        "password", "secret", "sasl.jaas.config", "sasl.oauthbearer.config", "ssl.key.pem",
        "ssl_key", "private.key", "token", "credentials",
    ];

    /// <summary>True when the property's value must never be printed.</summary>
    public static bool IsSecret(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        foreach (var part in SecretNameParts)
        {
            if (key.Contains(part, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The value to show for a property: the value itself, or <see cref="Mask"/> for a secret.</summary>
    public static string MaskIfSecret(string key, string? value) =>
        IsSecret(key) ? Mask : value ?? string.Empty;

    /// <summary>Replaces every secret value in a text (e.g. an error message) with the mask.</summary>
    public static string Redact(string text, IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(properties);
        foreach (var (key, value) in properties)
        {
            if (IsSecret(key) && !string.IsNullOrEmpty(value))
            {
                text = text.Replace(value, Mask, StringComparison.Ordinal);
            }
        }

        return text;
    }
}
