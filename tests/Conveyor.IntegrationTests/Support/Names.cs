namespace Conveyor.IntegrationTests.Support;

/// <summary>Unique topic and group names, so tests sharing a cluster never see each other's data.</summary>
internal static class Names
{
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
