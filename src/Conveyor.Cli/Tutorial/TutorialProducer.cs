using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Confluent.Kafka;
using Conveyor.Cli.Kafka;

namespace Conveyor.Cli.Tutorial;

/// <summary>
/// The tutorial's producer: sends keyed messages in the background ("threaded" producer) and
/// prints one delivery-report line per message as the broker acknowledges it.
/// </summary>
internal sealed class TutorialProducer : IDisposable
{
    private static readonly TimeSpan FlushOnStopTimeout = TimeSpan.FromSeconds(10);

    private readonly IProducer<byte[]?, byte[]> _producer;
    private readonly TextWriter _output;
    private readonly ConcurrentQueue<TopicPartitionOffset> _delivered = new();
    private readonly TextWriter _errors;
    private int _sent;
    private int _failed;
    private int _skipped;
    private int _rejected;

    public TutorialProducer(ClientSettings settings, TextWriter output, TextWriter errors)
    {
        _output = output;
        _errors = errors;
        _producer = new ProducerBuilder<byte[]?, byte[]>(settings.Producer())
            .SetErrorHandler((_, error) => errors.WriteLine(TutorialLines.ClientError(error)))
            .SetLogHandler(settings.LogTo(errors))
            .Build();
    }

    /// <summary>Messages handed to the producer.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>Messages the broker acknowledged.</summary>
    public int Delivered => _delivered.Count;

    /// <summary>Messages that could not be delivered (each printed as a failure line).</summary>
    public int Failed => Volatile.Read(ref _failed);

    /// <summary>Empty input lines, not sent.</summary>
    public int Skipped => Volatile.Read(ref _skipped);

    /// <summary>Input lines not sent because they are not in the format given.</summary>
    public int Rejected => Volatile.Read(ref _rejected);

    /// <summary>Where each acknowledged message was written.</summary>
    public IReadOnlyCollection<TopicPartitionOffset> DeliveredOffsets => _delivered;

    /// <summary>
    /// Sends users <paramref name="firstId"/>.. as JSON, keyed <c>user-N</c>; at most
    /// <paramref name="ratePerSecond"/> a second when that is above zero. Returns when all are acknowledged;
    /// cancelled, it sends no more and waits (up to 10 s) for those already sent.
    /// </summary>
    public async Task ProduceUsersAsync(string topic, int count, long firstId, double ratePerSecond, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count && !cancellationToken.IsCancellationRequested; i++)
        {
            if (ratePerSecond > 0)
            {
                var due = TimeSpan.FromSeconds(i / ratePerSecond) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    try
                    {
                        await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                    }
                    catch (OperationCanceledException)
                    {
                        break; // stopping: what was handed over is still flushed and reported below
                    }
                }
            }

            var user = User.Numbered(firstId + i);
            Send(topic, Encoding.UTF8.GetBytes(user.Key), User.Json.Serialize(user, SerializationContext.Empty), user.Key, line: null);
        }

        Flush(cancellationToken);
    }

    /// <summary>
    /// Sends one message per <c>key&lt;TAB&gt;value</c> line (a line without a tab is a value without
    /// key), read as bytes and decoded per <paramref name="keyFormat"/> and <paramref name="valueFormat"/>.
    /// A line that cannot be sent (empty, not in the format, refused by the client such as one over
    /// <c>message.max.bytes</c>) is reported with its number on standard error, and the rest are still sent.
    /// </summary>
    public async Task ProduceLinesAsync(string topic, Stream input, DataFormat keyFormat, DataFormat valueFormat, CancellationToken cancellationToken)
    {
        try
        {
            await SendLinesAsync(topic, input, keyFormat, valueFormat, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while waiting for input: the lines already sent are still flushed and counted.
        }

        Flush(cancellationToken);
    }

    private async Task SendLinesAsync(string topic, Stream input, DataFormat keyFormat, DataFormat valueFormat, CancellationToken cancellationToken)
    {
        await foreach (var (number, bytes) in StdinRecords.ReadLinesAsync(input, cancellationToken).ConfigureAwait(false))
        {
            if (bytes.Length == 0)
            {
                Interlocked.Increment(ref _skipped);
                await _errors.WriteLineAsync($"line {number}: empty, not sent (a message needs at least a value)").ConfigureAwait(false);
                continue;
            }

            var record = StdinRecords.Parse(number, bytes, keyFormat, valueFormat);
            if (record.Problem is not null)
            {
                Interlocked.Increment(ref _rejected);
                await _errors.WriteLineAsync($"line {number}: {record.Problem}, not sent").ConfigureAwait(false);
                continue;
            }

            Send(topic, record.Key, record.Value, record.DisplayKey, number);
        }
    }

    public void Dispose() => _producer.Dispose();

    private void Send(string topic, byte[]? key, byte[] value, string? displayKey, int? line)
    {
        var message = new Message<byte[]?, byte[]> { Key = key, Value = value };
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, report => OnDelivery(displayKey, line, report));
                Interlocked.Increment(ref _sent);
                return;
            }
            catch (ProduceException<byte[]?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue is full: wait for deliveries to make room rather than drop the message.
                _producer.Poll(TimeSpan.FromMilliseconds(100));
            }
            catch (ProduceException<byte[]?, byte[]> e)
            {
                // Refused before sending (e.g. larger than message.max.bytes): counted as sent and failed.
                Interlocked.Increment(ref _sent);
                Interlocked.Increment(ref _failed);
                _output.WriteLine(TutorialLines.ProduceFailed(displayKey, e.Error, line));
                return;
            }
        }
    }

    private void OnDelivery(string? key, int? line, DeliveryReport<byte[]?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            _output.WriteLine(TutorialLines.ProduceFailed(key, report.Error, line));
        }
        else
        {
            _delivered.Enqueue(report.TopicPartitionOffset);
            _output.WriteLine(TutorialLines.Produced(key, report.TopicPartitionOffset));
        }
    }

    private void Flush(CancellationToken cancellationToken)
    {
        try
        {
            _producer.Flush(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            // Stopping: still give messages already handed over a bounded chance to be delivered.
            _producer.Flush(FlushOnStopTimeout);
        }
    }
}
