using Conveyor.Processing;

namespace Conveyor.Cli.Tutorial;

/// <summary>What the engine-backed consumer does: the processor's options plus the tutorial's failing processing step.</summary>
/// <param name="Processor">The processor's options.</param>
/// <param name="FailRate">Chance (0 to 1) that one processing attempt fails.</param>
/// <param name="MaxMessages">Stop after this many messages are settled (processed, dead-lettered or stopped at); null runs until stopped.</param>
/// <param name="Seed">Seed of the failure dice; null picks one.</param>
/// <param name="StatsInterval">Print a one-line summary from the processor's status this often; null prints none.</param>
internal sealed record EngineSettings(ProcessorOptions Processor, double FailRate = 0, int? MaxMessages = null, int? Seed = null, TimeSpan? StatsInterval = null);
