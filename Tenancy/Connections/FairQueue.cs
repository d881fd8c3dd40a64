namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// A queue served round-robin across keys (tenants): each dequeue takes the oldest item of the next tenant in rotation, so a
/// tenant with a hundred queued requests delays a tenant with one by at most one turn, not a hundred (plain FIFO's failure under
/// a burst). Not thread-safe: the registry uses it under its lock. Hand-written: System.Threading.Channels and the rate limiters
/// queue in one FIFO order only.
/// </summary>
public sealed class FairQueue<T>
{
    private readonly Dictionary<Guid, LinkedList<T>> _byKey = [];
    private readonly LinkedList<Guid> _rotation = [];

    public int Count { get; private set; }

    /// <summary>A queued item's place; <see cref="IsQueued"/> turns false once it is dequeued or removed.</summary>
    public sealed class Ticket(Guid key, LinkedListNode<T> node)
    {
        internal Guid Key { get; } = key;
        internal LinkedListNode<T> Node { get; } = node;
        public T Item => Node.Value;
        public bool IsQueued => Node.List is not null;
    }

    public Ticket Enqueue(Guid key, T item)
    {
        if (!_byKey.TryGetValue(key, out var queue))
        {
            queue = [];
            _byKey[key] = queue;
            _rotation.AddLast(key);
        }
        Count++;
        return new Ticket(key, queue.AddLast(item));
    }

    public bool TryDequeue(out T item)
    {
        if (_rotation.First is not { } next)
        {
            item = default!;
            return false;
        }
        var key = next.Value;
        var queue = _byKey[key];
        item = queue.First!.Value;
        queue.RemoveFirst();
        Count--;
        _rotation.RemoveFirst();
        if (queue.Count > 0)
        {
            _rotation.AddLast(key); // its next item waits for every other tenant's turn
        }
        else
        {
            _byKey.Remove(key);
        }
        return true;
    }

    /// <summary>Takes a still-queued item out (its request gave up); false when it was already dequeued.</summary>
    public bool Remove(Ticket ticket)
    {
        if (!ticket.IsQueued || !_byKey.TryGetValue(ticket.Key, out var queue))
        {
            return false;
        }
        queue.Remove(ticket.Node);
        Count--;
        if (queue.Count == 0)
        {
            _byKey.Remove(ticket.Key);
            _rotation.Remove(ticket.Key);
        }
        return true;
    }
}
