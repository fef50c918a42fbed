using Conveyor.Processing.Forwarding;

namespace Conveyor.Native.Producing;

/// <summary>
/// The <see cref="OutputSlot"/> of every record a <see cref="NativeProducer"/> handed to librdkafka
/// and has not heard of yet, under a number that is the record's opaque: a delivery report finds its
/// slot by indexing a table, not through a <see cref="System.Runtime.InteropServices.GCHandle"/> per
/// record (allocated on the sending thread, freed on the delivery thread: the runtime's handle table
/// took about a quarter of the delivery thread's CPU). A number is used again once its report came.
/// </summary>
/// <remarks>
/// Any thread adds. The thread serving reports takes them without a lock and gives their numbers
/// back once per batch of reports (<see cref="GiveBackReported"/>, one lock for a poll call's
/// reports). A table that grew is copied under the lock before it is published, and a record is
/// added before librdkafka has it, so a report always finds its slot in whichever table it reads.
/// </remarks>
internal sealed class InFlightRecords
{
    private readonly Lock _lock = new();
    private readonly Stack<int> _free = new();
    private readonly List<int> _reported = []; // only the thread serving reports
    private OutputSlot?[] _slots;
    private int _numbered; // numbers handed out so far: the next new one

    public InFlightRecords(int capacity = 1_024) => _slots = new OutputSlot?[Math.Max(1, capacity)];

    /// <summary>Records added and not yet reported or removed.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _numbered - _free.Count - _reported.Count;
            }
        }
    }

    /// <summary>Keeps <paramref name="slot"/> until its record is reported; returns the record's number.</summary>
    public int Add(OutputSlot slot)
    {
        lock (_lock)
        {
            if (!_free.TryPop(out var number))
            {
                number = _numbered++;
                if (number == _slots.Length)
                {
                    var larger = new OutputSlot?[_slots.Length * 2];
                    _slots.CopyTo(larger, 0);
                    Volatile.Write(ref _slots, larger);
                }
            }

            _slots[number] = slot;
            return number;
        }
    }

    /// <summary>
    /// On the thread serving reports: the slot of reported record <paramref name="number"/>, which
    /// is not used again before <see cref="GiveBackReported"/>.
    /// </summary>
    public OutputSlot Reported(int number)
    {
        var slots = Volatile.Read(ref _slots);
        var slot = slots[number] ?? throw new InvalidOperationException($"A delivery report names record {number}, which is not in flight.");
        slots[number] = null; // a table copied meanwhile may keep it until the number is used again: nothing reads it there
        _reported.Add(number);
        return slot;
    }

    /// <summary>On the thread serving reports, after a batch of them: their numbers may be used again.</summary>
    public void GiveBackReported()
    {
        if (_reported.Count == 0)
        {
            return;
        }

        lock (_lock)
        {
            foreach (var number in _reported)
            {
                _free.Push(number);
            }
        }

        _reported.Clear();
    }

    /// <summary>On any thread: the slot of record <paramref name="number"/>, which librdkafka refused (it will never be reported); its number may be used again at once.</summary>
    public OutputSlot Remove(int number)
    {
        lock (_lock)
        {
            var slot = _slots[number]!;
            _slots[number] = null;
            _free.Push(number);
            return slot;
        }
    }
}
