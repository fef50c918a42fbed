namespace Conveyor.Cli.Verify;

/// <summary>The running verify workers: start, kill, restart, add and remove them.</summary>
internal sealed class WorkerPool : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);

    private readonly Func<int, IReadOnlyList<string>> _arguments;
    private readonly TextWriter _errors;
    private readonly List<WorkerProcess> _workers = [];
    private int _started;

    public WorkerPool(Func<int, IReadOnlyList<string>> arguments, TextWriter errors)
    {
        _arguments = arguments;
        _errors = errors;
    }

    public int Count => _workers.Count;

    public void Add() => _workers.Add(WorkerProcess.Start(_arguments(_started++), _errors));

    public void Kill(int index)
    {
        _workers[index].Kill();
        _workers[index].Dispose();
        _workers[index] = WorkerProcess.Start(_arguments(_started++), _errors);
    }

    public async Task RestartAsync(int index)
    {
        await _workers[index].StopAsync(StopTimeout).ConfigureAwait(false);
        _workers[index].Dispose();
        _workers[index] = WorkerProcess.Start(_arguments(_started++), _errors);
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
}
