using Conveyor.Diagnostics;
using Conveyor.Processing;

namespace Conveyor.Hosting;

/// <summary>A hosted processor as the dashboard sees it, whatever its key and value types.</summary>
internal interface IHostedProcessor
{
    string Name { get; }

    /// <summary>The settings it runs with (validated when the host started).</summary>
    ProcessorSettings Settings { get; }

    ProcessorStatus Status { get; }

    LastError? LastError { get; }

    ProcessorActivity Activity { get; }

    /// <summary>Replaces the values of secret librdkafka properties in a text with a mask.</summary>
    string Redact(string text);
}
