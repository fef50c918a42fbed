using System.Text.RegularExpressions;

namespace Conveyor.Diagnostics;

/// <summary>
/// Names what answered when a server at a bootstrap address does not speak Kafka. librdkafka reads
/// the first four bytes of any answer as the size of a Kafka response and reports "Invalid response
/// size N ...: increase receive.message.max.bytes", which sends users after the wrong setting: those
/// bytes are the start of another protocol, "HTTP" from a web server (the wrong port), or a TLS alert
/// from a listener that expects TLS. Neither heals by waiting.
/// </summary>
internal static partial class ForeignAnswer
{
    private const uint Http = 0x48545450; // "HTTP"

    /// <summary>
    /// What answered, with what to check, and its kind (a web server's answer is <see cref="HopelessCause.NotKafka"/>,
    /// a TLS listener's <see cref="HopelessCause.Security"/>); null when <paramref name="text"/> is not
    /// librdkafka's invalid-size line or the bytes are no protocol it knows.
    /// </summary>
    /// <param name="text">One of librdkafka's error reasons or log lines, e.g. <c>host:9092/bootstrap: Receive failed: Invalid response size 1213486160 (0..100000000): ...</c>.</param>
    public static HopelessProblem? Explain(string text)
    {
        var match = InvalidSize().Match(text);
        if (!match.Success || !uint.TryParse(match.Groups["size"].Value, out var size))
        {
            return null;
        }

        var server = match.Groups["server"].Value.Split('/')[0]; // "host:port/bootstrap" or "host:port/1": the address is what the user gave
        var (first, second) = ((byte)(size >> 24), (byte)(size >> 16));
        if (size == Http)
        {
            return new(HopelessCause.NotKafka, $"{server} answered in HTTP, not in Kafka's protocol: that address is not a Kafka listener (check the host and port)");
        }

        // A TLS record starts with its type (0x15 alert, 0x16 handshake) and version 3.x.
        return first is 0x15 or 0x16 && second == 0x03
            ? new(HopelessCause.Security, $"{server} answered with TLS to a plaintext request: the listener expects TLS (security.protocol SSL or SASL_SSL)")
            : null;
    }

    [GeneratedRegex(@"(?<server>[^\s\]]+): Receive failed: Invalid response size (?<size>\d+)")]
    private static partial Regex InvalidSize();
}
