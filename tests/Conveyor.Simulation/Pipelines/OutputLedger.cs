using Conveyor.Processing;
using Conveyor.Processing.Forwarding;

namespace Conveyor.Simulation.Pipelines;

/// <summary>
/// Every output a forwarder handed to the simulated producer, across incarnations: which input
/// and which hand-off it belongs to, each send's fate, and which are stored. An input counts as
/// finished (for the commit invariants) once every output of one of its hand-offs is stored. Checks
/// that a commit never passes an input whose outputs are still unacknowledged, and that under key
/// (partition) ordering one lane's inputs hand their outputs over in offset order within an assignment.
/// </summary>
internal sealed class OutputLedger(SimWorld world)
{
    private readonly Dictionary<byte[], (int HandOff, int Index)> _outputs = new(ReferenceEqualityComparer.Instance);
    private readonly List<Handed> _handOffs = [];
    private readonly Dictionary<(int Partition, long Offset), int> _pending = [];
    private readonly Dictionary<(int Partition, long Offset, int Index), int> _sends = [];
    private readonly Dictionary<(int Epoch, int Partition, byte Key), long> _lanes = [];

    /// <summary>Stored outputs (written at least once), for the trace's summary and the tests.</summary>
    public int Stored { get; private set; }

    /// <summary>The outputs of one handler call of an input, to be handed to the producer together.</summary>
    /// <param name="partition">The input's partition.</param>
    /// <param name="offset">The input's offset.</param>
    /// <param name="key">The input's key, which the outputs keep.</param>
    /// <param name="count">How many outputs.</param>
    /// <param name="epoch">The assignment the handler call started in (a call may outlive it).</param>
    public IReadOnlyList<OutputRecord> HandOff(int partition, long offset, byte key, int count, int epoch)
    {
        var id = _handOffs.Count;
        var handOff = new Handed(partition, offset, key, count, epoch, new bool[count]);
        _handOffs.Add(handOff);
        _pending[(partition, offset)] = _pending.GetValueOrDefault((partition, offset)) + 1;
        var outputs = new OutputRecord[count];
        for (var i = 0; i < count; i++)
        {
            var value = new byte[8];
            _outputs[value] = (id, i);
            outputs[i] = new OutputRecord("out", [key], value) { Partition = key % 2 };
        }

        return outputs;
    }

    /// <summary>The producer was given an output: what becomes of this send (from the seed, per output and send).</summary>
    public (TimeSpan Delay, bool Fails, bool NoOffset, string Name) Sent(byte[] value)
    {
        var (id, index) = _outputs[value];
        var handOff = _handOffs[id];
        var send = _sends[(handOff.Partition, handOff.Offset, index)] = _sends.GetValueOrDefault((handOff.Partition, handOff.Offset, index)) + 1;
        if (index == 0 && !handOff.Sent && world.Cluster.Schedule.Ordering != OrderingMode.Unordered)
        {
            CheckLane(handOff);
        }

        handOff.Sent = true;
        // Exactly-once aborts the whole transaction for one failed output: at 6 % nearly every
        // transaction would abort and nothing would commit, so its sends fail at 0.5 %.
        var failPerMille = world.Cluster.Schedule.Pipeline.IsExactlyOnce() ? 5 : 60;
        var (delay, fails, noOffset) = MessagePlan.Output(world.Cluster.Schedule.Seed, handOff.Partition, handOff.Offset, index, send, failPerMille);
        return (delay, fails, noOffset, $"output {index + 1}/{handOff.Count} of p{handOff.Partition}@{handOff.Offset}");
    }

    /// <summary>Which hand-off and output a record handed to a producer is.</summary>
    public (int HandOff, int Index) Identify(byte[] value) => _outputs[value];

    /// <summary>The input of a hand-off, and how many outputs it has.</summary>
    public (int Partition, long Offset, int Count) Input(int handOff) => (_handOffs[handOff].Partition, _handOffs[handOff].Offset, _handOffs[handOff].Count);

    /// <summary>A send was acknowledged as stored (with an offset or without one).</summary>
    public void Acknowledged(byte[] value)
    {
        var (id, index) = _outputs[value];
        var handOff = _handOffs[id];
        if (handOff.Stored[index])
        {
            return;
        }

        handOff.Stored[index] = true;
        Stored++;
        if (handOff.Stored.All(s => s))
        {
            world.Checker.Finished(handOff.Partition, handOff.Offset);
        }
    }

    /// <summary>Before a commit from <paramref name="from"/> to <paramref name="to"/>: no input passed may have outputs not yet stored.</summary>
    public void Committing(int partition, long from, long to)
    {
        for (var o = from; o < to; o++)
        {
            if (!world.Checker.IsFinished(partition, o) && _pending.ContainsKey((partition, o)))
            {
                world.Checker.Fail("outputs-unacknowledged", $"p{partition} committed at {to}, past p{partition}@{o}, whose outputs were handed to the producer but not all acknowledged");
                return;
            }
        }
    }

    private void CheckLane(Handed handOff)
    {
        var lane = (handOff.Epoch, handOff.Partition, world.Cluster.Schedule.Ordering == OrderingMode.Key ? handOff.Key : (byte)0);
        if (_lanes.TryGetValue(lane, out var last) && last > handOff.Offset)
        {
            world.Checker.Fail("output-order", $"p{handOff.Partition}@{handOff.Offset}'s outputs were handed over after those of p{handOff.Partition}@{last} of the same lane (key '{(char)handOff.Key}') in one assignment");
        }

        _lanes[lane] = handOff.Offset;
    }

    private sealed record Handed(int Partition, long Offset, byte Key, int Count, int Epoch, bool[] Stored)
    {
        public bool Sent { get; set; }
    }
}
