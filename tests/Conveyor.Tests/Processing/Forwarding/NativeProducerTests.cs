using Confluent.Kafka;
using Conveyor.Native.Producing;
using Conveyor.Processing.Engine;
using Conveyor.Processing.Forwarding;
using Conveyor.TestSupport;

namespace Conveyor.Tests.Processing.Forwarding;

/// <summary>
/// The native output producer without a broker (bootstrap servers nobody listens on): every
/// output it cannot deliver fails its input, whether refused at once, timed out, or still queued
/// when it is disposed. Deliveries to a broker are in the integration tests.
/// </summary>
public class NativeProducerTests
{
    private const string Nowhere = "127.0.0.1:1";

    [Fact]
    public async Task A_record_refused_at_once_fails_its_input_before_the_hand_off_returns()
    {
        using var outputs = Outputs(new() { ["message.max.bytes"] = "1000" });
        var delivery = await outputs.HandAsync([new OutputRecord("out", [1], new byte[2_000])], null, CancellationToken.None);

        Exception? failure = null;
        delivery.WhenSettled((_, _, e) => failure = e, Item());

        var refused = Assert.IsType<OutputDeliveryException>(failure); // told at once: settled before the hand-off returned
        Assert.Equal(ErrorCode.MsgSizeTooLarge, Assert.Single(refused.Errors).Code);
        Assert.Equal(0, outputs.Window.Outputs);
    }

    [Fact]
    public async Task An_output_that_cannot_be_handed_over_fails_its_input_instead_of_leaving_it_unfinished()
    {
        using var outputs = Outputs([]);
        var broken = new Headers { new UnreadableHeader() };
        var delivery = await outputs.HandAsync([OutputRecord.Utf8("out", "k", "v") with { Headers = broken }], null, CancellationToken.None);

        Exception? failure = null;
        delivery.WhenSettled((_, _, e) => failure = e, Item());

        Assert.Equal(ErrorCode.Local_Fail, Assert.Single(Assert.IsType<OutputDeliveryException>(failure).Errors).Code);
    }

    [Fact]
    public async Task An_output_not_delivered_in_time_fails_its_input()
    {
        using var outputs = Outputs(new() { ["message.timeout.ms"] = "300" });
        var settled = await Settle(outputs, [OutputRecord.Utf8("out", "k", "v"), OutputRecord.Utf8("out-b", null, "v") with { Partition = 3 }]);

        var failure = Assert.IsType<OutputDeliveryException>(await settled.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(2, failure.Errors.Count);
        Assert.All(failure.Errors, e => Assert.Equal(ErrorCode.Local_MsgTimedOut, e.Code));
    }

    [Fact]
    public async Task Disposing_fails_every_output_it_could_not_deliver()
    {
        var outputs = Outputs(new() { ["message.timeout.ms"] = "300000" }, flushTimeout: TimeSpan.FromMilliseconds(200));
        List<Task<Exception?>> inputs = [];
        for (var i = 0; i < 3; i++)
        {
            inputs.Add(await Settle(outputs, [OutputRecord.Utf8("out", $"k{i}", "v")]));
        }

        Assert.All(inputs, input => Assert.False(input.IsCompleted));
        outputs.Dispose();

        // Purged, not dropped: each input hears its outputs failed, before Dispose returns.
        Assert.All(inputs, input => Assert.True(input.IsCompleted));
        foreach (var input in inputs)
        {
            Assert.IsType<OutputDeliveryException>(await input);
        }
    }

    [Fact]
    public void A_property_librdkafka_refuses_is_named()
    {
        var refused = Assert.Throws<ArgumentException>(() => NativeProducer.Create(
            new Dictionary<string, string> { ["bootstrap.servers"] = Nowhere, ["linger.ms"] = "not a number" }, _ => { }, _ => { }, _ => { }));

        Assert.Contains("'linger.ms'", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Confluent_kafka_properties_are_not_given_to_librdkafka()
    {
        using var producer = NativeProducer.Create(
            new Dictionary<string, string> { ["bootstrap.servers"] = Nowhere, ["dotnet.producer.delivery.report.fields"] = "none" }, _ => { }, _ => { }, _ => { });

        Assert.Equal(0, producer.Unreported);
    }

    private static OutputProducer Outputs(Dictionary<string, string> config, TimeSpan? flushTimeout = null)
    {
        config["bootstrap.servers"] = Nowhere;
        config["enable.idempotence"] = "true";
        var sender = NativeProducer.Create(config, _ => { }, _ => { }, _ => { }, flushTimeout);
        return new OutputProducer(sender, new ForwardingOptions(), forwarded: null, _ => { });
    }

    /// <summary>Hands <paramref name="records"/> off as one input; the task ends with how it settled (null: every output acknowledged).</summary>
    private static async Task<Task<Exception?>> Settle(OutputProducer outputs, IReadOnlyList<OutputRecord> records)
    {
        var settled = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var delivery = await outputs.HandAsync(records, null, CancellationToken.None);
        delivery.WhenSettled((_, _, e) => settled.TrySetResult(e), Item());
        return settled.Task;
    }

    private sealed class UnreadableHeader : IHeader
    {
        public string Key => "broken";

        public byte[] GetValueBytes() => throw new InvalidOperationException("unreadable");
    }

    private static WorkItem Item() => WorkItems.Of();
}
