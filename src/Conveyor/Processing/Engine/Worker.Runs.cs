using Conveyor.Processing.Batching;

namespace Conveyor.Processing.Engine;

/// <summary>The worker loop of a batch processor: it takes a run of one partition's messages and calls the batch handler once for it.</summary>
internal sealed partial class Worker<TKey, TValue>
{
    /// <summary>
    /// Runs the dispatcher's runs until it completes. A failed message goes the single-message way:
    /// its back-off is waited out on no worker (<see cref="RetryLaterAsync"/>, its partition's run on
    /// hold meanwhile), and its failure action is applied as <see cref="ApplyAsync"/> does.
    /// </summary>
    private async Task RunBatchesAsync(BatchExecutor<TKey, TValue> batches)
    {
        var abort = _abort;
        var waiter = new ReadyWaiter(_dispatcher.Runtime);
        var run = waiter.Run;
        var traces = new List<MessageTrace>();
        while (await _dispatcher.TakeAsync(waiter).ConfigureAwait(false) is not null)
        {
            try
            {
                await RunBatchAsync(batches, run, traces, abort).ConfigureAwait(false);
            }
            finally
            {
                // The run counted against the concurrency limit until now (Dispatcher.Limit.cs).
                _dispatcher.Release();
            }
        }
    }

    private async Task RunBatchAsync(BatchExecutor<TKey, TValue> batches, List<WorkItem> run, List<MessageTrace> traces, CancellationToken abort)
    {
        if (_gate is not null)
        {
            await _gate.EnterAsync().ConfigureAwait(false);
        }

        if (!_dispatcher.TryStartRun(run))
        {
            _gate?.Exit();
            return;
        }

        traces.Clear();
        run.ForEach(item => traces.Add(_events.MessageStarted(item)));
        var end = new RunEnd(0, ExecutionOutcome.Abandoned);
        try
        {
            end = await batches.ExecuteAsync(run, _stopping.Token, abort).ConfigureAwait(false);
        }
        finally
        {
            for (var i = 0; i < traces.Count; i++)
            {
                var execution = i == end.Finished && end.Failed is { } failure ? failure : new Execution(Outcome(end, i));
                _events.MessageEnded(run[i], traces[i], execution);
            }
        }

        var failed = end.Failed is null ? null : run[end.Finished];
        var outcome = end.Failed?.Outcome;
        if (outcome is ExecutionOutcome.StopPartition or ExecutionOutcome.StopProcessor)
        {
            _dispatcher.Stop(failed!.Partition);
        }

        _dispatcher.EndRun(run, end.Finished, outcome);
        switch (outcome)
        {
            case ExecutionOutcome.RetryLater:
                _ = RetryLaterAsync(failed!, end.Failed!.Value.RetryDelay);
                break;
            case ExecutionOutcome.StopProcessor:
                await _stopping.CancelAsync().ConfigureAwait(false);
                break;
        }

        var finished = end.Finished + (outcome == ExecutionOutcome.Finished ? 1 : 0);
        for (var i = 0; i < finished; i++)
        {
            _schedule.MessageFinished();
        }

        _gate?.Exit();
    }

    /// <summary>
    /// How one message of the run ended, for its telemetry: the failed one as it failed; those after
    /// it wait for a later run (counted in flight still), unless the partition runs nothing past it.
    /// </summary>
    private static ExecutionOutcome Outcome(RunEnd end, int index)
    {
        if (index < end.Finished)
        {
            return ExecutionOutcome.Finished;
        }

        var failed = end.Failed?.Outcome;
        if (index == end.Finished && failed is { } outcome)
        {
            return outcome;
        }

        return failed is null or ExecutionOutcome.Finished or ExecutionOutcome.RetryLater ? ExecutionOutcome.RetryLater : ExecutionOutcome.Abandoned;
    }
}
