using Conveyor.Processing;

namespace Conveyor.Hosting;

/// <summary>A hosted processor as the dashboard sees it, whatever its key and value types.</summary>
internal interface IHostedProcessor
{
    string Name { get; }

    /// <summary>The settings it runs with (validated when the host started).</summary>
    ProcessorSettings Settings { get; }

    /// <summary>Its status snapshot: state, partitions, last error, activity (secrets masked).</summary>
    ProcessorStatus Status { get; }

    /// <summary>Replaces the values of secret librdkafka properties in a text with a mask.</summary>
    string Redact(string text);
}
