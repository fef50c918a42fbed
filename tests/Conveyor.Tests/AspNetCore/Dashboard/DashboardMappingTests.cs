using Microsoft.AspNetCore.Builder;

namespace Conveyor.Tests.AspNetCore.Dashboard;

public class DashboardMappingTests
{
    [Fact]
    public async Task Actions_are_refused_at_mapping_when_antiforgery_is_not_registered()
    {
        await using var app = WebApplication.CreateBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => app.MapConveyorDashboard("/conveyor", o => o.ActionsPolicy = "operators"));

        Assert.Contains("services.AddAntiforgery()", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refresh_interval_under_half_a_second_is_refused_with_the_allowed_range()
    {
        await using var app = WebApplication.CreateBuilder().Build();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => app.MapConveyorDashboard("/conveyor", o => o.RefreshInterval = TimeSpan.FromMilliseconds(100)));

        Assert.Contains("RefreshInterval must be at least 00:00:00.500", error.Message, StringComparison.Ordinal);
    }
}
