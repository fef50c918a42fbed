namespace Conveyor.Processing.Forwarding;

/// <summary>
/// Keeps finished <see cref="OutputDelivery"/>s for the next inputs, up to a bound (the window's
/// count of outputs, which also bounds the inputs in flight): forwarding then allocates no delivery
/// state per input once as many as are in flight at once exist. Workers take, the producer's
/// delivery thread gives back (a batch of reports' deliveries at once: <see cref="ReportBatch"/>).
/// </summary>
internal sealed class OutputDeliveryPool
{
    private readonly Lock _lock = new();
    private readonly Stack<OutputDelivery> _free = new();
    private readonly int _capacity;

    public OutputDeliveryPool(int capacity) => _capacity = capacity;

    /// <summary>Deliveries kept for reuse now.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _free.Count;
            }
        }
    }

    /// <summary>A kept delivery, or null when none is.</summary>
    public OutputDelivery? Take()
    {
        lock (_lock)
        {
            return _free.TryPop(out var delivery) ? delivery : null;
        }
    }

    /// <summary>Keeps <paramref name="delivery"/>, which nothing uses any more, unless the pool is full.</summary>
    public void Return(OutputDelivery delivery)
    {
        lock (_lock)
        {
            if (_free.Count < _capacity)
            {
                _free.Push(delivery);
            }
        }
    }

    /// <summary>Keeps each of <paramref name="deliveries"/>, which nothing uses any more, while the pool is not full: one lock for all.</summary>
    public void Return(List<OutputDelivery> deliveries)
    {
        lock (_lock)
        {
            for (var i = 0; i < deliveries.Count && _free.Count < _capacity; i++)
            {
                _free.Push(deliveries[i]);
            }
        }
    }
}
