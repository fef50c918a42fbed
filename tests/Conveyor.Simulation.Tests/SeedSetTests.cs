using Xunit.Abstractions;

namespace Conveyor.Simulation.Tests;

/// <summary>
/// The CI seed set: 10,000 schedules of the real engine on the simulated cluster, every invariant
/// checked at every step. A failure prints its reproduction (seed, shrunk schedule, trace); the
/// seed then becomes a test in <see cref="RegressionSeedTests"/>.
/// </summary>
public sealed class SeedSetTests(ITestOutputHelper output)
{
    /// <summary>The seeds every CI run goes through (split in two so the halves may run side by side).</summary>
    public const int Seeds = 10_000;

    [Fact]
    public void First_half_of_the_seed_set_keeps_every_invariant() => RunSeeds(0, Seeds / 2);

    [Fact]
    public void Second_half_of_the_seed_set_keeps_every_invariant() => RunSeeds(Seeds / 2, Seeds / 2);

    private void RunSeeds(int from, int count)
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        SimulationRules.AssertEveryScheduleKeepsTheInvariants(Enumerable.Range(from, count).Select(seed => ScheduleGenerator.For(seed)));

        output.WriteLine($"{count} schedules in {watch.Elapsed.TotalSeconds:F1} s ({count / watch.Elapsed.TotalSeconds:F0}/s)");
    }
}
