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

    private readonly IProducer<string?, byte[]> _producer;
    private readonly TextWriter _output;
    private readonly ConcurrentQueue<TopicPartitionOffset> _delivered = new();
    private int _sent;
    private int _failed;

    public TutorialProducer(ClientSettings settings, TextWriter output, TextWriter errors)
    {
        _output = output;
        _producer = new ProducerBuilder<string?, byte[]>(settings.Producer())
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

    /// <summary>Where each acknowledged message was written.</summary>
    public IReadOnlyCollection<TopicPartitionOffset> DeliveredOffsets => _delivered;

    /// <summary>
    /// Sends users <paramref name="firstId"/>.. as JSON, keyed <c>user-N</c>; at most
    /// <paramref name="ratePerSecond"/> a second when that is above zero. Returns when all are acknowledged.
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
                    await Task.Delay(due, cancellationToken).ConfigureAwait(false);
                }
            }

            var user = User.Numbered(firstId + i);
            Send(topic, user.Key, User.Json.Serialize(user, SerializationContext.Empty));
        }

        Flush(cancellationToken);
    }

    /// <summary>Sends one message per <c>key&lt;TAB&gt;value</c> line (a line without a tab is a value without key).</summary>
    public async Task ProduceLinesAsync(string topic, TextReader input, CancellationToken cancellationToken)
    {
        while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            if (line.Length == 0)
            {
                continue;
            }

            var tab = line.IndexOf('\t', StringComparison.Ordinal);
            var key = tab < 0 ? null : line[..tab];
            var value = tab < 0 ? line : line[(tab + 1)..];
            Send(topic, key, Encoding.UTF8.GetBytes(value));
        }

        Flush(cancellationToken);
    }

    public void Dispose() => _producer.Dispose();

    private void Send(string topic, string? key, byte[] value)
    {
        var message = new Message<string?, byte[]> { Key = key, Value = value };
        while (true)
        {
            try
            {
                _producer.Produce(topic, message, report => OnDelivery(key, report));
                Interlocked.Increment(ref _sent);
                return;
            }
            catch (ProduceException<string?, byte[]> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                // The local queue is full: wait for deliveries to make room rather than drop the message.
                _producer.Poll(TimeSpan.FromMilliseconds(100));
            }
        }
    }

    private void OnDelivery(string? key, DeliveryReport<string?, byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            _output.WriteLine(TutorialLines.ProduceFailed(key, report.Error));
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
