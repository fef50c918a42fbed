using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;

namespace Conveyor.Fleet;

/// <summary>
/// Reads the status topic into a <see cref="FleetView"/>, for the CLI and the dashboard: the last
/// records of each partition first (enough to cover every live instance's latest), then new ones
/// as they come; and sends commands to the control topic, keyed by group so that a group's
/// commands keep their order even on a control topic of several partitions.
/// </summary>
internal sealed class FleetReader : IDisposable
{
    /// <summary>Records read back from each status partition's end at the start.</summary>
    public const long Back = 10_000;

    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(10);
    private readonly TopicTail _status;

    private FleetReader(TopicTail status, FleetView view)
    {
        _status = status;
        View = view;
    }

    public FleetView View { get; }

    /// <summary>Opens the status topic and reads its recent history; null when the topic does not exist.</summary>
    public static FleetReader? Open(KafkaClientProperties client, string statusTopic, TimeSpan goneAfter, CancellationToken cancellationToken = default)
    {
        if (TopicTail.Open(client, statusTopic, Back, ClientTimeout) is not { } tail)
        {
            return null;
        }

        var reader = new FleetReader(tail, new FleetView(goneAfter));
        foreach (var record in tail.History(ClientTimeout * 3, cancellationToken))
        {
            reader.Take(record);
        }

        return reader;
    }

    /// <summary>Reads what came until <paramref name="until"/>, or until <paramref name="done"/> holds.</summary>
    public void ReadUntil(DateTime until, Func<FleetView, bool>? done = null, CancellationToken cancellationToken = default)
    {
        while (DateTime.UtcNow < until && !cancellationToken.IsCancellationRequested && done?.Invoke(View) != true)
        {
            if (_status.Next(TimeSpan.FromMilliseconds(100)) is { } record)
            {
                Take(record);
            }
        }
    }

    /// <summary>Writes <paramref name="command"/> to the control topic and waits for the broker's acknowledgement.</summary>
    public static async Task SendAsync(KafkaClientProperties client, string controlTopic, ControlCommand command, CancellationToken cancellationToken = default)
    {
        using var producer = new ProducerBuilder<byte[]?, byte[]?>(
            ConsumerOnlyProperties.Without(client.ToDictionary([new("enable.idempotence", "true"), new("acks", "all"), new("message.timeout.ms", "15000")]))).WithoutLogLines().Build();
        await producer.ProduceAsync(controlTopic, new Message<byte[]?, byte[]?> { Key = System.Text.Encoding.UTF8.GetBytes(command.Group), Value = command.ToJson() }, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _status.Dispose();

    private void Take(ConsumeResult<byte[]?, byte[]?> record)
    {
        if (InstanceStatus.Parse(record.Message.Value) is { } status)
        {
            View.Add(status);
        }
    }
}
