using System.Text;

namespace Conveyor.Simulation;

/// <summary>What happened, line by line with the simulated time; kept only when asked (a failure's replay), since a sweep needs speed.</summary>
internal sealed class SimTrace(SimScheduler scheduler, bool enabled)
{
    private readonly StringBuilder _text = new();

    public bool Enabled => enabled;

    public void Add(string line)
    {
        if (enabled)
        {
            _text.Append(scheduler.Elapsed.TotalMilliseconds.ToString("F3", System.Globalization.CultureInfo.InvariantCulture)).Append("ms ").AppendLine(line);
        }
    }

    public override string ToString() => _text.ToString();
}

/// <summary>A run's fingerprint: a hash of its whole trace, its event count and its simulated length; equal fingerprints are the same run.</summary>
internal static class RunFingerprint
{
    public static string Of(SimulationResult result) =>
        $"{Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(result.Trace)))} events {result.Events} simulated {result.Simulated.Ticks} {result.Kind ?? "passed"}";
}
