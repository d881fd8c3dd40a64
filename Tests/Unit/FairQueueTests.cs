using TenantAspire.Tenancy.Connections;

namespace TenantAspire.Tests.Unit;

public sealed class FairQueueTests
{
    private static readonly Guid Hot = Guid.NewGuid(), Cold = Guid.NewGuid(), Third = Guid.NewGuid();

    private static List<string> Drain(FairQueue<string> queue)
    {
        var order = new List<string>();
        while (queue.TryDequeue(out var item))
        {
            order.Add(item);
        }
        return order;
    }

    [Fact]
    public void A_tenant_with_one_queued_request_waits_one_turn_behind_a_burst()
    {
        var queue = new FairQueue<string>();
        for (var i = 0; i < 100; i++)
        {
            queue.Enqueue(Hot, $"hot{i}");
        }
        queue.Enqueue(Cold, "cold");
        var order = Drain(queue);
        Assert.Equal(1, order.IndexOf("cold")); // FIFO would have made it 100th
        Assert.Equal(101, order.Count);
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void Tenants_take_turns_and_each_keeps_its_own_order()
    {
        var queue = new FairQueue<string>();
        queue.Enqueue(Hot, "h1");
        queue.Enqueue(Hot, "h2");
        queue.Enqueue(Cold, "c1");
        queue.Enqueue(Third, "t1");
        queue.Enqueue(Cold, "c2");
        Assert.Equal(["h1", "c1", "t1", "h2", "c2"], Drain(queue));
    }

    [Fact]
    public void A_removed_ticket_is_never_dequeued_and_an_emptied_tenant_leaves_the_rotation()
    {
        var queue = new FairQueue<string>();
        var gaveUp = queue.Enqueue(Cold, "c1");
        queue.Enqueue(Hot, "h1");
        Assert.True(queue.Remove(gaveUp));
        Assert.False(gaveUp.IsQueued);
        Assert.False(queue.Remove(gaveUp));
        Assert.Equal(["h1"], Drain(queue));
    }

    [Fact]
    public void A_dequeued_ticket_cannot_be_removed()
    {
        var queue = new FairQueue<string>();
        var ticket = queue.Enqueue(Hot, "h1");
        Assert.True(queue.TryDequeue(out _));
        Assert.False(ticket.IsQueued);
        Assert.False(queue.Remove(ticket));
        Assert.Equal(0, queue.Count);
    }
}
