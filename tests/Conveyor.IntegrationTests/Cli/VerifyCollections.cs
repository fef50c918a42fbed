namespace Conveyor.IntegrationTests.Cli;

/// <summary>
/// Two collections for the <c>verify</c> runs, so that at most two run at once: each starts the
/// verifier and its worker processes and keeps them busy for minutes, and four at once beside the
/// other tests (Parallelism.cs) passed the verifier's own timeout on a loaded machine.
/// </summary>
internal static class VerifyCollections
{
    public const string First = "verify: first";

    public const string Second = "verify: second";
}
