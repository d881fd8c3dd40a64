using TenantAspire.Tenancy.Context;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.Tenancy.Connections;

/// <summary>
/// The request's <see cref="TenantDbContext"/>: built on a connection leased from the registry on first use (so requests that
/// fail earlier never take a connection) and given back when the request scope ends.
/// </summary>
public sealed class TenantDb(ITenantContext tenant, TenantConnectionRegistry registry, TenantSchema schema) : IAsyncDisposable
{
    private TenantConnectionLease? _lease;
    private TenantDbContext? _context;

    public async ValueTask<TenantDbContext> GetAsync(CancellationToken ct)
    {
        if (_context is null)
        {
            _lease = await registry.OpenAsync(tenant.Tenant, ct);
            _context = schema.CreateContext(_lease.Connection, TenantMigrations.HasCustomFields(tenant.Tenant.SchemaVersion));
        }
        return _context;
    }

    /// <summary>
    /// True while nothing this request sent to the tenant's database can have changed it: no connection yet, or only LINQ
    /// queries completed on it (a command that failed was rolled back with its statement).
    /// </summary>
    public bool NothingWritten => _context is null || _context.WritesCompleted == 0;

    /// <summary>Gives the connection back: the next <see cref="GetAsync"/> opens one on the request's tenant route as it is then.</summary>
    public async ValueTask ResetAsync()
    {
        if (_context is not null)
        {
            await _context.DisposeAsync();
            _context = null;
        }
        if (_lease is not null)
        {
            await _lease.DisposeAsync();
            _lease = null;
        }
    }

    public ValueTask DisposeAsync() => ResetAsync();
}
