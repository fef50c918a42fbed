namespace Conveyor.Cli.Verify;

/// <summary>
/// The running verify workers: start, kill, restart, add and remove them. Each worker runs in a
/// slot, its index in the pool; a killed or restarted worker's replacement takes over its slot, a
/// joining worker takes the next free one.
/// </summary>
internal sealed class WorkerPool : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly Func<int, int, IReadOnlyList<string>> _arguments;
    private readonly IReadOnlyDictionary<string, string> _environment;
    private readonly TextWriter _errors;
    private readonly List<WorkerProcess> _workers = [];
    private int _started;
    private int _assigned;

    /// <param name="arguments">Each new worker's command line, by its number (never reused) and its slot (reused by its replacement).</param>
    /// <param name="environment">Environment variables every worker gets (secrets go here, not on the command line).</param>
    /// <param name="errors">Where the workers' standard error goes.</param>
    public WorkerPool(Func<int, int, IReadOnlyList<string>> arguments, IReadOnlyDictionary<string, string> environment, TextWriter errors)
    {
        _arguments = arguments;
        _environment = environment;
        _errors = errors;
    }

    public int Count => _workers.Count;

    /// <summary>Whether any worker has been given partitions by its group yet (until then the run is starting, not stalled).</summary>
    public bool AnyAssigned => Volatile.Read(ref _assigned) != 0;

    /// <summary>How long the worker in the last slot has been running.</summary>
    public TimeSpan LastAge => _workers.Count == 0 ? TimeSpan.Zero : _workers[^1].Age;

    public void Add() => _workers.Add(Start(_workers.Count));

    public void Kill(int index)
    {
        _workers[index].Kill();
        _workers[index].Dispose();
        _workers[index] = Start(index);
    }

    public async Task RestartAsync(int index)
    {
        await _workers[index].StopAsync(StopTimeout).ConfigureAwait(false);
        _workers[index].Dispose();
        _workers[index] = Start(index);
    }

    public async Task RemoveLastAsync()
    {
        var last = _workers[^1];
        _workers.RemoveAt(_workers.Count - 1);
        await last.StopAsync(StopTimeout).ConfigureAwait(false);
        last.Dispose();
    }

    public async Task StopAllAsync()
    {
        await Task.WhenAll(_workers.Select(w => w.StopAsync(StopTimeout))).ConfigureAwait(false);
        Dispose();
    }

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        _workers.Clear();
    }

    private WorkerProcess Start(int slot) => WorkerProcess.Start(_arguments(_started++, slot), _environment, _errors, () => Volatile.Write(ref _assigned, 1));
}
