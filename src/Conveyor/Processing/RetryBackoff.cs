using Polly;
using Polly.Retry;

namespace Conveyor.Processing;

/// <summary>
/// The one retry back-off of single-message and batch handlers: a Polly retry whose delays are
/// <see cref="RetryOptions.DelayFor"/> (doubling, ±20 % jitter, capped), as the options document.
/// Polly's own jittered back-off (decorrelated jitter) can wait less on a later retry than on an
/// earlier one, even less than the initial delay, so the delay is generated here.
/// </summary>
internal static class RetryBackoff
{
    /// <param name="retry">The delays.</param>
    /// <param name="maxRetries">Retries the pipeline makes at most in one execution.</param>
    /// <param name="retryIndex">Which retry of its message a failure leads to (0 for the first), from Polly's attempt number and the failure: picks the delay.</param>
    /// <param name="shouldRetry">Whether a failure is retried.</param>
    /// <param name="onRetry">Hears each retry before its delay: the context, Polly's attempt number, the failure, the delay.</param>
    public static ResiliencePipeline Build(
        RetryOptions retry,
        int maxRetries,
        Func<int, Exception, int> retryIndex,
        Func<Exception, bool> shouldRetry,
        Action<ResilienceContext, int, Exception, TimeSpan> onRetry) =>
        new ResiliencePipelineBuilder().AddRetry(new RetryStrategyOptions
        {
            MaxRetryAttempts = maxRetries,
            DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
                retry.DelayFor(retryIndex(args.AttemptNumber, args.Outcome.Exception!), Random.Shared.NextDouble())),
            MaxDelay = retry.MaxDelay,
            ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } e && shouldRetry(e)),
            OnRetry = args =>
            {
                onRetry(args.Context, args.AttemptNumber, args.Outcome.Exception!, args.RetryDelay);
                return ValueTask.CompletedTask;
            },
        }).Build();
}
