using Confluent.Kafka;

namespace Conveyor.Processing.Transactions;

/// <summary>
/// Which failed output writes of an exactly-once forwarder are the input's own failure: the same
/// record would fail again however often it is written. librdkafka retries temporary errors itself
/// (timeouts, missing replicas, a leader that moved) and reports a delivery failure only once they
/// ran out (<c>Local_MsgTimedOut</c>), while a permanent error fails the record at once. Any failed
/// write makes the open transaction abortable, so it is aborted either way; only a permanent one
/// counts as a failed attempt of its input, which then reaches its failure action (retries, dead
/// letter, stop) like any handler failure, instead of aborting transaction after transaction.
/// </summary>
/// <remarks>
/// The codes are librdkafka's "typical permanent broker errors" (INTRODUCTION.md, "Error: Permanent
/// errors") and the two local errors rdkafka.h calls permanent (a topic or partition that does not
/// exist in the cluster), with an invalid topic name and a record the broker refuses
/// (<c>InvalidRecord</c>, e.g. a record without key on a compacted topic). Fatal errors are not
/// among them: the producer is unusable and the processor stops. Everything else (timeouts, a
/// transaction fenced or aborted, records purged by an abort) is the transaction's trouble, not
/// the input's: the transaction is aborted and the input runs again without counting an attempt.
/// </remarks>
internal static class PermanentOutputErrors
{
    public static bool Contains(Error error) => !error.IsFatal && error.Code switch
    {
        ErrorCode.MsgSizeTooLarge => true, // the record (or the broker's message.max.bytes) must change
        ErrorCode.RecordListTooLarge => true,
        ErrorCode.InvalidMsg => true, // CORRUPT_MESSAGE
        ErrorCode.UnknownTopicOrPart => true, // no such topic or partition, and none is created for it
        ErrorCode.Local_UnknownTopic => true,
        ErrorCode.Local_UnknownPartition => true,
        ErrorCode.TopicException => true, // INVALID_TOPIC_EXCEPTION: the name cannot be a topic
        ErrorCode.InvalidRequiredAcks => true,
        ErrorCode.TopicAuthorizationFailed => true,
        ErrorCode.ClusterAuthorizationFailed => true,
        ErrorCode.UnsupportedForMessageFormat => true,
        ErrorCode.InvalidRecord => true,
        _ => false,
    };
}
