namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Told where each batch of delivery reports begins and ends, by a sender that serves its reports
/// in batches on a thread of its own (<see cref="Native.Producing.NativeProducer"/>: one
/// <c>rd_kafka_poll</c> a batch), so that what every acknowledged input gives back can be given back
/// once a batch (<see cref="ReportBatch"/>).
/// </summary>
internal interface IReportBatches
{
    /// <summary>On the reporting thread, before it may serve reports.</summary>
    void Starting();

    /// <summary>On the same thread, once it served them.</summary>
    void Served();
}
