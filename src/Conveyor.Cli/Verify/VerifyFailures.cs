namespace Conveyor.Cli.Verify;

/// <summary>The failures the verifier's handlers inject, decided by seeded dice.</summary>
internal sealed class VerifyFailures
{
    private readonly WorkerSettings _settings;
    private readonly Random _dice;

    public VerifyFailures(WorkerSettings settings)
    {
        _settings = settings;
        _dice = new Random(settings.Seed);
    }

    /// <summary>Slows down, then throws when this attempt is to fail.</summary>
    public async Task ApplyAsync(long id, CancellationToken cancellationToken)
    {
        double slow, fail;
        int delay;
        lock (_dice)
        {
            slow = _dice.NextDouble();
            fail = _dice.NextDouble();
            delay = _dice.Next(10, 100);
        }

        var wait = _settings.HandlerDelay + (slow < _settings.SlowRate ? TimeSpan.FromMilliseconds(delay) : TimeSpan.Zero);
        if (wait > TimeSpan.Zero)
        {
            await Task.Delay(wait, cancellationToken).ConfigureAwait(false);
        }

        if (_settings.PermanentEvery > 0 && id % _settings.PermanentEvery == 0)
        {
            throw new PermanentFailureException($"message {id} can never be processed (verify --permanent-every)");
        }

        if (fail < _settings.FailRate)
        {
            throw new TransientFailureException($"message {id} failed this time (verify --fail-rate)");
        }
    }
}

/// <summary>A handler failure that retrying cannot fix.</summary>
internal sealed class PermanentFailureException(string message) : Exception(message);

/// <summary>A handler failure that a retry may fix.</summary>
internal sealed class TransientFailureException(string message) : Exception(message);

/// <summary>An output record acknowledged without an offset: sent again (retryable).</summary>
internal sealed class UnconfirmedOutputException(string message) : Exception(message);
