namespace Evaluator.Core.Workers;

/// <summary>
/// The pool's events: any thread posts, the pool's own thread takes everything posted so far in one go, blocking while there is
/// nothing. A plain lock and wait, so the loop wakes with one signal and never hops through the thread pool or spins.
/// </summary>
internal sealed class Inbox<T>
{
    private readonly object _gate = new();
    private List<T> _posted = [];

    public void Post(T item)
    {
        lock (_gate)
        {
            _posted.Add(item);
            if (_posted.Count == 1)
                Monitor.Pulse(_gate);
        }
    }

    /// <summary>Blocks until at least one item was posted, then moves every posted item into <paramref name="into"/>, in order.</summary>
    public void TakeAll(ref List<T> into)
    {
        into.Clear();
        lock (_gate)
        {
            while (_posted.Count == 0)
                Monitor.Wait(_gate);
            (_posted, into) = (into, _posted);
        }
    }
}
