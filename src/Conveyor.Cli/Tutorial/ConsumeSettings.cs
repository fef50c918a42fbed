namespace Conveyor.Cli.Tutorial;

/// <summary>What the tutorial consumer does.</summary>
/// <param name="Topic">The topic to subscribe to.</param>
/// <param name="GroupId">The consumer group.</param>
/// <param name="Commit">The commit mode.</param>
/// <param name="FailRate">In manual mode, the chance (0 to 1) that processing a message fails.</param>
/// <param name="MaxMessages">Stop after this many messages; null runs until stopped.</param>
/// <param name="Seed">Seed of the failure dice, for repeatable runs; null picks one.</param>
internal sealed record ConsumeSettings(
    string Topic,
    string GroupId,
    CommitMode Commit = CommitMode.Manual,
    double FailRate = 0,
    int? MaxMessages = null,
    int? Seed = null);
