using Conveyor.Cli.CommandLine;
using Conveyor.Testing;

namespace Conveyor.Tests.Cli;

public class TopicArgumentTests
{
    [Fact]
    public void A_name_alone_gets_one_partition()
    {
        Assert.Equal(new TopicSpec("orders", 1), TopicArgument.Parse("orders"));
    }

    [Fact]
    public void Name_colon_count_sets_the_partitions()
    {
        Assert.Equal(new TopicSpec("rust", 6), TopicArgument.Parse("rust:6"));
    }

    [Theory]
    [InlineData("rust:0")]
    [InlineData("rust:-1")]
    [InlineData("rust:six")]
    [InlineData(":6")]
    [InlineData("")]
    public void Rejects_bad_specs(string text)
    {
        Assert.Throws<FormatException>(() => TopicArgument.Parse(text));
    }
}
