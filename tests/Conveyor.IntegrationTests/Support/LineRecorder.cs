using System.Text;

namespace Conveyor.IntegrationTests.Support;

/// <summary>
/// A TextWriter that keeps every line written and lets a test await a line, so tests wait for
/// what they expect instead of sleeping.
/// </summary>
public sealed class LineRecorder : TextWriter
{
    private readonly Lock _lock = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<IReadOnlyList<string>, bool> Condition, TaskCompletionSource Met)> _waiters = [];
    private readonly StringBuilder _partial = new();

    public override Encoding Encoding => Encoding.UTF8;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lock)
            {
                return [.. _lines];
            }
        }
    }

    public override void Write(char value)
    {
        lock (_lock)
        {
            if (value == '\n')
            {
                Add(_partial.ToString().TrimEnd('\r'));
                _partial.Clear();
            }
            else
            {
                _partial.Append(value);
            }
        }
    }

    public override void WriteLine(string? value)
    {
        lock (_lock)
        {
            _partial.Append(value);
            Add(_partial.ToString());
            _partial.Clear();
        }
    }

    /// <summary>Completes once the lines written so far meet the condition; fails after the timeout.</summary>
    public Task WaitUntil(Func<IReadOnlyList<string>, bool> condition, TimeSpan timeout)
    {
        lock (_lock)
        {
            if (condition(_lines))
            {
                return Task.CompletedTask;
            }

            var met = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((condition, met));
            return met.Task.WaitAsync(timeout);
        }
    }

    /// <summary>Completes once <paramref name="count"/> lines contain the text.</summary>
    public Task WaitForLines(string contains, int count, TimeSpan timeout) =>
        WaitUntil(lines => lines.Count(l => l.Contains(contains, StringComparison.Ordinal)) >= count, timeout);

    /// <summary>The first line that contains the text, once written.</summary>
    public async Task<string> WaitForLine(string contains, TimeSpan timeout)
    {
        await WaitForLines(contains, 1, timeout);
        return Lines.First(l => l.Contains(contains, StringComparison.Ordinal));
    }

    public override string ToString() => string.Join(Environment.NewLine, Lines);

    private void Add(string line)
    {
        _lines.Add(line);
        for (var i = _waiters.Count - 1; i >= 0; i--)
        {
            if (_waiters[i].Condition(_lines))
            {
                _waiters[i].Met.TrySetResult();
                _waiters.RemoveAt(i);
            }
        }
    }
}
