namespace Evaluator.Core.Execution;

/// <summary>
/// Work for threads of their own: any thread adds, takers block while it is empty, either one item at a time (the runners of
/// jobs) or everything queued at once (the worker pool's event loop). A plain lock and wait, so a taker wakes on one signal with
/// no thread-pool hop or spin. After <see cref="Complete"/>, what is queued is still handed out, then takers get nothing.
/// </summary>
internal sealed class WorkQueue<T>
{
    private readonly Queue<T> _items = new();
    private bool _completed;

    /// <summary>Queues <paramref name="item"/>; false (and nothing queued) once the queue is completed.</summary>
    public bool TryAdd(T item)
    {
        lock (_items)
        {
            if (_completed)
                return false;
            _items.Enqueue(item);
            Monitor.Pulse(_items);
            return true;
        }
    }

    /// <summary>No more items will be added; runners drain what is queued and then stop.</summary>
    public void Complete()
    {
        lock (_items)
        {
            _completed = true;
            Monitor.PulseAll(_items);
        }
    }

    /// <summary>Blocks until an item is queued (true) or the queue is completed and empty (false).</summary>
    public bool TryTake(out T item)
    {
        lock (_items)
        {
            while (_items.Count == 0 && !_completed)
                Monitor.Wait(_items);
            return _items.TryDequeue(out item!);
        }
    }

    /// <summary>Blocks until something is queued, then moves everything queued into <paramref name="into"/>, in order; false once the queue is completed and empty.</summary>
    public bool TryTakeAll(List<T> into)
    {
        lock (_items)
        {
            while (_items.Count == 0 && !_completed)
                Monitor.Wait(_items);
            while (_items.TryDequeue(out var item))
                into.Add(item);
            return into.Count > 0;
        }
    }
}
