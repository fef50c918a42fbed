using System.Globalization;
using System.Text;
using Confluent.Kafka;

namespace Conveyor.DeadLetters;

/// <summary>One record of a dead-letter topic, with the <c>conveyor.*</c> headers the engine wrote read back.</summary>
internal sealed class DeadLetter
{
    private DeadLetter(ConsumeResult<byte[]?, byte[]?> record)
    {
        Record = record;
    }

    /// <summary>The record as read from the dead-letter topic.</summary>
    public ConsumeResult<byte[]?, byte[]?> Record { get; }

    public string Topic => Record.Topic;

    public int Partition => Record.Partition.Value;

    public long Offset => Record.Offset.Value;

    public string SourceTopic => Header(DeadLetterHeaders.SourceTopic) ?? "?";

    public int? SourcePartition => int.TryParse(Header(DeadLetterHeaders.SourcePartition), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) ? p : null;

    public long? SourceOffset => long.TryParse(Header(DeadLetterHeaders.SourceOffset), NumberStyles.Integer, CultureInfo.InvariantCulture, out var o) ? o : null;

    public string? ConsumerGroup => Header(DeadLetterHeaders.ConsumerGroup);

    public string? FailureKind => Header(DeadLetterHeaders.FailureKind);

    public string? ExceptionType => Header(DeadLetterHeaders.ExceptionType);

    public string? ExceptionMessage => Header(DeadLetterHeaders.ExceptionMessage);

    public string? StackTrace => Header(DeadLetterHeaders.ExceptionStackTrace);

    public int? Attempts => int.TryParse(Header(DeadLetterHeaders.Attempts), NumberStyles.Integer, CultureInfo.InvariantCulture, out var a) ? a : null;

    public DateTimeOffset? FailedAt =>
        DateTimeOffset.TryParse(Header(DeadLetterHeaders.FailedAt), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) ? at : null;

    /// <summary>The key as text (UTF-8), or hex when it is not text; null when the record has none.</summary>
    public string? Key => Record.Message.Key is { } key ? Bytes.ToText(key) : null;

    /// <summary>Whether the record carries the headers the engine writes to a dead letter.</summary>
    public static bool IsDeadLetter(ConsumeResult<byte[]?, byte[]?> record) =>
        record.Message.Headers is { } headers && headers.TryGetLastBytes(DeadLetterHeaders.SourceTopic, out _);

    /// <summary>Reads a record as a dead letter.</summary>
    /// <exception cref="DeadLetterReadException">The record has no <c>conveyor.*</c> headers: the topic is not a dead-letter topic.</exception>
    public static DeadLetter From(ConsumeResult<byte[]?, byte[]?> record)
    {
        if (!IsDeadLetter(record))
        {
            throw new DeadLetterReadException(
                $"{record.Topic} is not a dead-letter topic: the record at partition {record.Partition.Value} offset {record.Offset.Value} has no "
                + $"{DeadLetterHeaders.SourceTopic} header (Conveyor writes conveyor.* headers on every dead letter). Check --topic.");
        }

        return new DeadLetter(record);
    }

    public string? Header(string key) =>
        Record.Message.Headers is { } headers && headers.TryGetLastBytes(key, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
