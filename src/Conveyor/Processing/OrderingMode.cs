namespace Conveyor.Processing;

/// <summary>Which messages a processor may handle at the same time.</summary>
public enum OrderingMode
{
    /// <summary>In order per key within a partition, concurrent across keys (the default). Messages without a key share one lane per partition.</summary>
    Key,

    /// <summary>One message at a time per partition, in offset order (the tutorials' behaviour).</summary>
    Partition,

    /// <summary>Any message may run beside any other; only <see cref="ProcessorOptions.MaxConcurrency"/> limits them.</summary>
    Unordered,
}
