using Confluent.Kafka;

namespace Conveyor.Diagnostics;

/// <summary>
/// A client's errors as the library's logs and the CLI both report them: repeats counted
/// (<see cref="RepeatedErrors"/>), a cluster that went away after the client had reached it said
/// once, and one line when the client works again.
/// </summary>
internal sealed class ClientTrouble(TimeProvider time)
{
    private readonly RepeatedErrors _repeats = new(time);
    private int _hadCluster;
    private int _clusterLost;

    /// <summary>Whether every broker went down after the client had reached its cluster, and it has not worked since.</summary>
    public bool ClusterLost => Volatile.Read(ref _clusterLost) == 1;

    /// <summary>Partitions were assigned: the client reached its cluster. The line to write if it had been failing, else null.</summary>
    public string? Reached()
    {
        Volatile.Write(ref _hadCluster, 1);
        return Works();
    }

    /// <summary>The client works (partitions assigned or offsets committed): the line to write if it had been failing, else null.</summary>
    public string? Works()
    {
        if (_repeats.Recovered() is not { } summary)
        {
            return null;
        }

        Interlocked.Exchange(ref _clusterLost, 0);
        return summary;
    }

    /// <summary>True the first time this error says every broker is down after the client had reached its cluster.</summary>
    public bool LostNow(Error error) =>
        error.Code == ErrorCode.Local_AllBrokersDown && Volatile.Read(ref _hadCluster) == 1 && Interlocked.Exchange(ref _clusterLost, 1) == 0;

    /// <summary>What to write for this occurrence of a client error line: the line, the line with its count, or null to stay quiet.</summary>
    public string? Note(string line) => _repeats.Note(line);
}
