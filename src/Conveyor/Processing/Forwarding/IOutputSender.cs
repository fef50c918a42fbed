namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Where an <see cref="OutputProducer"/> hands each output: Confluent.Kafka's producer
/// (<see cref="ConfluentOutputSender"/>) or Conveyor's own on librdkafka
/// (<see cref="Native.Producing.NativeProducer"/>). Either reports every output to its slot exactly
/// once: acknowledged with where it landed, or failed (refused at once, a failed delivery, or
/// purged at disposal).
/// </summary>
internal interface IOutputSender : IDisposable
{
    /// <summary>Hands <paramref name="output"/> over; its report goes to <see cref="OutputSlot.Report"/>, before this returns when it is refused at once.</summary>
    void Send(OutputRecord output, OutputSlot slot);

    /// <summary>
    /// Tells <paramref name="batches"/> where each batch of reports begins and ends on the thread
    /// serving them, from now on; a sender whose reports come one by one ignores it. Called once,
    /// before the first <see cref="Send"/>.
    /// </summary>
    void ReportInBatches(IReportBatches batches);
}
