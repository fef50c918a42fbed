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
