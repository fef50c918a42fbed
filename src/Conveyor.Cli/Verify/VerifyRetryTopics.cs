using Conveyor.Processing.RetryTopics;

namespace Conveyor.Cli.Verify;

/// <summary><c>verify --retry-topics</c>: the retry chain the workers use, short so a run sees every stage.</summary>
internal static class VerifyRetryTopics
{
    /// <summary>One retry topic after 1 s, a second after 2 s, then the dead-letter topic.</summary>
    public static readonly RetryTopicOptions Options = new() { Delays = [TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)] };

    /// <summary>The retry topics of <paramref name="input"/>.</summary>
    public static IEnumerable<string> Topics(string input) => Enumerable.Range(1, Options.Delays.Count).Select(n => Options.TopicFor(input, n));
}
