namespace Conveyor.Processing.Forwarding;

/// <summary>
/// What the inputs acknowledged within one batch of delivery reports give back: their room in the
/// window and their reused deliveries, given back together when the batch was served, rather than
/// one lock of the window and one of the pool per input, each taken against the workers entering
/// and taking. Only on the thread serving the batch; a report anywhere else (a record refused at
/// once, on its sender's thread) gives back at once. The room stays held until the end of the
/// batch, which ends as soon as the sender served what it had (a poll call), so nothing waits on it
/// longer than that.
/// </summary>
internal sealed class ReportBatch : IReportBatches
{
    private readonly OutputWindow _window;
    private readonly OutputDeliveryPool _pool;
    private readonly List<OutputDelivery> _returned = [];
    private int _thread; // the managed id of the thread serving a batch now; 0: none
    private int _outputs;
    private long _bytes;

    public ReportBatch(OutputWindow window, OutputDeliveryPool pool)
    {
        _window = window;
        _pool = pool;
    }

    private bool Serving => Volatile.Read(ref _thread) == Environment.CurrentManagedThreadId;

    public void Starting() => Volatile.Write(ref _thread, Environment.CurrentManagedThreadId);

    public void Served()
    {
        Volatile.Write(ref _thread, 0);
        if (_outputs != 0 || _bytes != 0)
        {
            var (outputs, bytes) = (_outputs, _bytes);
            (_outputs, _bytes) = (0, 0);
            _window.Leave(outputs, bytes);
        }

        if (_returned.Count > 0)
        {
            _pool.Return(_returned);
            _returned.Clear();
        }
    }

    /// <summary>Gives back room of acknowledged (or failed) outputs: at the end of the batch on its thread, else at once.</summary>
    public void Leave(int outputs, long bytes)
    {
        if (Serving)
        {
            _outputs += outputs;
            _bytes += bytes;
        }
        else
        {
            _window.Leave(outputs, bytes);
        }
    }

    /// <summary>Keeps a delivery nothing uses any more for the next inputs: at the end of the batch on its thread, else at once.</summary>
    public void Return(OutputDelivery delivery)
    {
        if (Serving)
        {
            _returned.Add(delivery);
        }
        else
        {
            _pool.Return(delivery);
        }
    }
}
