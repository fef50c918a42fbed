namespace Conveyor.Cli.Verify;

/// <summary>What one verify worker does.</summary>
/// <param name="Input">Topic to consume.</param>
/// <param name="Output">Topic where each processed id is recorded (acknowledged before the handler returns).</param>
/// <param name="Group">Consumer group shared by all workers.</param>
/// <param name="Strategy"><c>engine</c> (Conveyor) or <c>naive</c> (auto-commit, fire-and-forget handling).</param>
/// <param name="FailRate">Chance that one handler attempt throws a transient error.</param>
/// <param name="PermanentEvery">Ids divisible by this always fail (they must be dead-lettered); 0 for none.</param>
/// <param name="SlowRate">Chance that one handler attempt takes 10 to 100 ms.</param>
/// <param name="Seed">Seed of the worker's dice.</param>
/// <param name="Ordering">The engine's ordering mode.</param>
/// <param name="HandlerDelay">How long every handler attempt takes at least (a stand-in for real work).</param>
/// <param name="Concurrency">The engine's handlers at once.</param>
/// <param name="PersistCompletions">The engine records finished offsets above the committed one in the commit metadata (<c>verify --completions persisted</c>).</param>
/// <param name="RetryTopics">Failed messages go through the retry topics (<see cref="VerifyRetryTopics.Options"/>) before the dead-letter topic (<c>verify --retry-topics</c>).</param>
/// <param name="Adaptive">The engine runs with the adaptive concurrency limit, up to <paramref name="Concurrency"/> (<c>verify --adaptive</c>).</param>
/// <param name="TransactionalId">
/// Set for exactly-once: the worker runs a <c>KafkaForwarder</c> with <c>DeliveryGuarantee.ExactlyOnce</c>
/// and this <c>transactional.id</c> (stable per worker slot, so a replacement fences its predecessor).
/// </param>
internal sealed record WorkerSettings(
    string Input,
    string Output,
    string Group,
    string Strategy,
    double FailRate,
    int PermanentEvery,
    double SlowRate,
    int Seed,
    Conveyor.Processing.OrderingMode Ordering = Conveyor.Processing.OrderingMode.Key,
    TimeSpan HandlerDelay = default,
    int Concurrency = 8,
    string? TransactionalId = null,
    bool PersistCompletions = true,
    bool RetryTopics = false,
    bool Adaptive = false);
