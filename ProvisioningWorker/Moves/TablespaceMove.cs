using System.Diagnostics;
using TenantAspire.Tenancy.Catalog;

namespace TenantAspire.ProvisioningWorker.Moves;

/// <summary>
/// A tier change within one server: <c>ALTER DATABASE … SET TABLESPACE</c>, which copies the database's files and needs it free
/// of sessions. The tenant's requests are held meanwhile (route "moving"); the pause is the copy, proportional to the database's
/// size (an empty one: tens of milliseconds). Idempotent: a retry after a crash repeats the same statements.
/// </summary>
public sealed class TablespaceMove(MoveSql sql, MoveStore store, ServerAdmin admin, TenantTablespaces tablespaces, FaultInjector faults, TimeProvider clock,
    Microsoft.Extensions.Options.IOptions<MoveOptions> options, ILogger<TablespaceMove> logger)
{
    public async Task RunAsync(Tenant tenant, TenantMove move, CancellationToken ct)
    {
        using var step = ProvisioningTelemetry.StartStep("move tablespace", tenant.Slug);
        if (tablespaces.For(tenant.Server, move.ToTier ?? tenant.Tier) is null)
        {
            await store.SwitchAsync(tenant, move, TimeSpan.Zero, ct); // a server without tablespaces: only the tier changes
            return;
        }
        await store.BeginCutoverAsync(tenant, move, ct);
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(options.Value.PropagationDelay, clock, ct);
        // In-flight statements finish first; past the pause they are ended with their sessions.
        await sql.WaitUntilIdleAsync(tenant.Server, tenant.DatabaseName, tenant.RoleName, clock.GetUtcNow() + options.Value.MaxPause, clock, ct);
        await admin.CloseDatabaseAsync(tenant.Server, tenant.DatabaseName, ct);
        try
        {
            await faults.ThrowIfInjectedAsync(tenant.Slug, MoveSteps.Tablespace, ct);
            await sql.SetTablespaceAsync(tenant.Server, tenant.DatabaseName, move.ToTablespace, ct);
        }
        finally
        {
            await admin.OpenDatabaseAsync(tenant.Server, tenant.DatabaseName, CancellationToken.None);
        }
        var pause = Stopwatch.GetElapsedTime(started);
        await store.SwitchAsync(tenant, move, pause, ct);
        logger.LogInformation("Moved {Tenant} to tablespace {Tablespace} on {Server}; requests held {Pause:0} ms",
            tenant.Slug, move.ToTablespace, tenant.Server, pause.TotalMilliseconds);
    }
}
