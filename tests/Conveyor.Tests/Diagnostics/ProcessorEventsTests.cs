using Confluent.Kafka;
using Conveyor.Configuration;
using Conveyor.Diagnostics;
using Conveyor.Processing;

namespace Conveyor.Tests.Diagnostics;

public class ProcessorEventsTests
{
    private static readonly Dictionary<string, string> Properties = new() { ["sasl.password"] = "hunter2-secret", ["bootstrap.servers"] = "b:9092" };

    [Fact]
    public void Client_log_lines_and_errors_reach_the_observer_with_secret_values_masked()
    {
        var observer = new Recorder();
        var telemetry = new ProcessorEvents(observer, "g", text => SecretProperties.Redact(text, Properties));

        telemetry.ClientLog(new LogMessage("rdkafka#consumer-1", SyslogLevel.Debug, "CONF", "  sasl.password = hunter2-secret"));
        telemetry.OnError(new Error(ErrorCode.Local_Authentication, "SASL authentication failed for hunter2-secret", isFatal: true));

        var line = Assert.Single(observer.Lines);
        Assert.Equal($"  sasl.password = {SecretProperties.Mask}", line.Message);
        Assert.Equal("CONF", line.Facility);
        var error = Assert.Single(observer.Errors);
        Assert.Equal($"SASL authentication failed for {SecretProperties.Mask}", error.Reason);
        Assert.True(error.IsFatal);
        Assert.Equal(ErrorCode.Local_Authentication, error.Code);
    }

    [Fact]
    public void Status_follows_assignments_stopped_partitions_and_the_end_of_the_run()
    {
        var telemetry = new ProcessorEvents(new Recorder(), "g", text => text);
        Assert.Equal(ProcessorState.NotStarted, telemetry.Status.State);

        telemetry.RunStarted();
        telemetry.Polled();
        telemetry.OnPartitionsAssigned([new TopicPartition("t", 0), new TopicPartition("t", 1)]);
        telemetry.OnPartitionStopped(new TopicPartitionOffset("t", 1, 7), new InvalidOperationException("x"));
        var running = telemetry.Status;
        telemetry.OnPartitionsRevoked([new TopicPartition("t", 1)]);
        var revoked = telemetry.Status;
        telemetry.RunEnded("fatal");

        Assert.Equal(ProcessorState.Running, running.State);
        Assert.NotNull(running.LastPoll);
        Assert.Equal(2, running.AssignedPartitions.Count);
        Assert.Equal([new TopicPartitionOffset("t", 1, 7)], running.StoppedPartitions);
        Assert.Empty(revoked.StoppedPartitions); // a revoked partition is someone else's now
        Assert.Equal(ProcessorState.Failed, telemetry.Status.State);
        Assert.Equal("fatal", telemetry.Status.Failure);
    }

    [Fact]
    public void A_stopped_partition_shows_in_the_status_only_after_the_inner_observers_heard_of_it()
    {
        // The order observers always had; the status store now records the stop and its error
        // together (ProcessorStatusStoreTests), so the health check no longer depends on it.
        var inner = new StatusProbe();
        var telemetry = new ProcessorEvents(inner, "g", text => text);
        inner.Telemetry = telemetry;
        telemetry.RunStarted();

        telemetry.OnPartitionStopped(new TopicPartitionOffset("t", 0, 3), new InvalidOperationException("x"));

        Assert.Equal(0, inner.StoppedSeenWhileHearing);
        Assert.Equal([new TopicPartitionOffset("t", 0, 3)], telemetry.Status.StoppedPartitions);
    }

    private sealed class StatusProbe : IProcessorObserver
    {
        public ProcessorEvents? Telemetry { get; set; }

        public int StoppedSeenWhileHearing { get; private set; } = -1;

        public void OnPartitionStopped(TopicPartitionOffset message, Exception exception) =>
            StoppedSeenWhileHearing = Telemetry!.Status.StoppedPartitions.Count;
    }

    private sealed class Recorder : IProcessorObserver
    {
        public List<LogMessage> Lines { get; } = [];

        public List<Error> Errors { get; } = [];

        public void OnClientLog(LogMessage message) => Lines.Add(message);

        public void OnError(Error error) => Errors.Add(error);
    }
}
