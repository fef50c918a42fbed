using System.Globalization;

namespace Conveyor.Cli.Dashboard;

/// <summary>
/// The dashboard's <c>--listen host:port</c>. Checked before anything starts: Kestrel reads a
/// value without a port as port 80 on every interface, which would expose the dashboard by a typo.
/// </summary>
internal static class ListenAddress
{
    /// <summary>What the option takes, for its usage error.</summary>
    public const string Requirement = "host:port, e.g. 127.0.0.1:5090 ([::1]:5090 for IPv6; port 0 picks a free one)";

    /// <summary>Whether <paramref name="value"/> is a host (an IPv6 address in brackets) and a port from 0 to 65535.</summary>
    public static bool IsValid(string? value)
    {
        var colon = value?.LastIndexOf(':') ?? -1;
        if (colon <= 0)
        {
            return false;
        }

        var host = value![..colon];
        var port = value[(colon + 1)..];
        var hostValid = host.StartsWith('[') ? host.Length > 2 && host.EndsWith(']') : !host.Contains(':', StringComparison.Ordinal) && !host.Contains('/', StringComparison.Ordinal);
        return hostValid
            && port.Length > 0
            && port.All(char.IsAsciiDigit)
            && int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            && number <= 65535;
    }
}
