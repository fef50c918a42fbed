using System.Collections.Concurrent;
using System.Text.Json;
using Confluent.Kafka;
using Conveyor.Cli.Kafka;

namespace Conveyor.Cli.Tutorial;

/// <summary>
/// The tutorial's group consumer: prints each message, the rebalance callbacks and the commit
/// callbacks. Manual mode commits each message after a processing step that can fail, and stops
/// at the first failure without committing it, because committing a later offset would commit
/// the failed one too. (The processing engine replaces this stop with retries and a dead-letter topic.)
/// </summary>
internal sealed partial class TutorialConsumer : IDisposable
{
    private readonly ConsumeSettings _settings;
    private readonly TextWriter _output;
    private readonly TextWriter _errors;
    private readonly IConsumer<string?, byte[]> _consumer;
    private readonly Random _dice;
    private readonly ConcurrentDictionary<int, long> _committed = new();
    private volatile Error? _fatal;
    private int _received;

    public TutorialConsumer(ClientSettings settings, ConsumeSettings consume, TextWriter output, TextWriter errors)
    {
        _settings = consume;
        _output = output;
        _errors = errors;
        _dice = consume.Seed is { } seed ? new Random(seed) : new Random();
        _consumer = new ConsumerBuilder<string?, byte[]>(settings.Consumer(consume.GroupId, consume.Commit == CommitMode.Auto))
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler(OnLost)
            .SetOffsetsCommittedHandler(OnCommitted)
            .SetErrorHandler(OnError)
            .SetLogHandler(settings.LogTo(errors))
            .Build();
    }

    /// <summary>Messages received.</summary>
    public int Received => Volatile.Read(ref _received);

    /// <summary>The committed offset (next offset to read) of each partition this consumer committed.</summary>
    public IReadOnlyDictionary<int, long> Committed => _committed;

    /// <summary>Consumes until stopped; blocks the calling thread. Leaves the group before it returns.</summary>
    public ConsumeOutcome Run(CancellationToken cancellationToken)
    {
        _consumer.Subscribe(_settings.Topic);
        var outcome = ConsumeOutcome.Stopped;
        try
        {
            outcome = ConsumeUntilStopped(cancellationToken);
        }
        finally
        {
            // Close leaves the group at once (the others need not wait for a session timeout)
            // and, in auto mode, commits the offsets stored so far.
            _consumer.Close();
        }

        return outcome;
    }

    public void Dispose()
    {
        _consumer.Dispose();
    }

    private ConsumeOutcome ConsumeUntilStopped(CancellationToken stop)
    {
        while (true)
        {
            if (_fatal is not null)
            {
                return ConsumeOutcome.Fatal;
            }

            ConsumeResult<string?, byte[]> result;
            try
            {
                result = _consumer.Consume(stop);
            }
            catch (OperationCanceledException)
            {
                return ConsumeOutcome.Stopped;
            }
            catch (ConsumeException e) when (e.Error.Code == ErrorCode.UnknownTopicOrPart)
            {
                throw new CommandFailedException(
                    $"topic '{_settings.Topic}' does not exist ({e.Error.Reason}). Create it first, or check --topic.");
            }
            catch (ConsumeException e) when (!e.Error.IsFatal)
            {
                _errors.WriteLine(TutorialLines.ClientError(e.Error));
                continue;
            }

            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            var received = Interlocked.Increment(ref _received);
            Print(result);
            if (_settings.Commit == CommitMode.Manual && !ProcessAndCommit(result))
            {
                return ConsumeOutcome.ProcessingFailed;
            }

            if (received >= _settings.MaxMessages)
            {
                return ConsumeOutcome.Stopped;
            }
        }
    }

    private void Print(ConsumeResult<string?, byte[]> result)
    {
        var key = result.Message.Key;
        var at = result.TopicPartitionOffset;
        if (result.Message.Value is null)
        {
            _output.WriteLine(TutorialLines.ReceivedEmpty(key, at));
            return;
        }

        try
        {
            var user = User.Json.Deserialize(result.Message.Value, isNull: false, SerializationContext.Empty);
            _output.WriteLine(TutorialLines.Received(key, user, at));
        }
        catch (JsonException e)
        {
            // Reported with its partition, offset and raw value; until the engine's dead-letter
            // topic exists this line is the record of the message.
            _output.WriteLine(TutorialLines.Undecodable(key, at, e.Message, result.Message.Value));
        }
    }

    /// <summary>The tutorial's processing step, then a commit; false when processing failed.</summary>
    private bool ProcessAndCommit(ConsumeResult<string?, byte[]> result)
    {
        if (_settings.FailRate > 0 && _dice.NextDouble() < _settings.FailRate)
        {
            _output.WriteLine(TutorialLines.ProcessingFailed(result.Message.Key, result.TopicPartitionOffset));
            return false;
        }

        try
        {
            // A synchronous commit does not go through the commit callback: report it here.
            _consumer.Commit(result);
            RecordCommitted(new TopicPartitionOffset(result.TopicPartition, result.Offset + 1));
        }
        catch (KafkaException e)
        {
            // Not fatal for at-least-once: the next successful commit covers this offset too.
            _output.WriteLine(TutorialLines.CommitFailed(e.Error));
        }

        return true;
    }
}
