namespace TenantAspire.Tests.Infrastructure;

/// <summary>
/// How many whole stacks may be up at once, and that they boot one at a time. Collections run in parallel because they mostly
/// wait on leases, passes and moves, not on CPU; but each stack is two Postgres servers, Redis, Azurite and four .NET processes,
/// and its boot (JIT, migrations, template) is CPU-bound: three boots at once on 2 cores took longer than the 2-minute boot limit.
/// Every stack (a collection's fixture or one a test boots itself) holds a slot for its whole life and the boot gate while it
/// starts. One by default (collections run serially, Tests/AssemblyInfo.cs); <c>TENANTASPIRE_TEST_STACKS=N</c> with parallel
/// collections turned on lets N up at once.
/// </summary>
public static class StackSlots
{
    public const string Variable = "TENANTASPIRE_TEST_STACKS";
    public const int DefaultCount = 1;

    public static int Count { get; } =
        int.TryParse(Environment.GetEnvironmentVariable(Variable), out var n) && n > 0 ? n : DefaultCount;

    private static readonly SemaphoreSlim Slots = new(Count, Count);
    private static readonly SemaphoreSlim BootGate = new(1, 1);

    /// <summary>Waits for a slot (first come, first served); disposing the result gives it back.</summary>
    public static Task<IAsyncDisposable> TakeAsync(CancellationToken ct = default) => EnterAsync(Slots, ct);

    /// <summary>Waits until no other stack is booting; disposing the result lets the next one boot.</summary>
    public static Task<IAsyncDisposable> BootingAsync(CancellationToken ct = default) => EnterAsync(BootGate, ct);

    private static async Task<IAsyncDisposable> EnterAsync(SemaphoreSlim semaphore, CancellationToken ct)
    {
        await semaphore.WaitAsync(ct);
        return new Held(semaphore);
    }

    private sealed class Held(SemaphoreSlim semaphore) : IAsyncDisposable
    {
        private int _released;

        public ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                semaphore.Release();
            }
            return ValueTask.CompletedTask;
        }
    }
}
