namespace Conveyor.AspNetCore.Dashboard.Model;

/// <summary>What the dashboard shows: the processors of this host, or groups seen from Kafka alone (<c>conveyor dashboard</c>).</summary>
internal interface IDashboardSource
{
    /// <summary>Shown in the title bar.</summary>
    string Title { get; }

    /// <summary>The processors as they are now.</summary>
    IReadOnlyList<ProcessorView> Processors();

    /// <summary>The dead-letter topics the dead letters page offers.</summary>
    IReadOnlyList<DeadLetterTopic> DeadLetterTopics();
}
