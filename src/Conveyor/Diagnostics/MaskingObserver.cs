using Confluent.Kafka;
using Conveyor.Processing;

namespace Conveyor.Diagnostics;

/// <summary>
/// The edge where a processor's text leaves for the logs and the user's observer: client errors,
/// client log lines and unreadable commit metadata pass with secret property values masked.
/// (The status store masks what its snapshots show; the dashboard masks what it prints.)
/// </summary>
internal sealed class MaskingObserver(IProcessorObserver? next, Func<string, string> mask) : CompositeObserver(next)
{
    public override void OnError(Error error) => base.OnError(new Error(error.Code, mask(error.Reason), error.IsFatal));

    public override void OnClientLog(LogMessage message) =>
        base.OnClientLog(new LogMessage(message.Name, message.Level, message.Facility, mask(message.Message)));

    public override void OnCompletionsUnreadable(TopicPartitionOffset committed, string problem) => base.OnCompletionsUnreadable(committed, mask(problem));
}
