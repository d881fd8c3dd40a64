using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>
/// Keeps <c>tenant_template</c> at the latest tenant migration so new tenants are a ~50 ms <c>CREATE DATABASE … TEMPLATE</c>
/// instead of a full migration. When the tenant migrations change, the next provisioning migrates the template forward first.
/// </summary>
public sealed class TemplateDatabase(ServerConnections connections, TenantSchema schema, ILogger<TemplateDatabase> logger)
    : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<string> _currentOn = new(StringComparer.Ordinal);

    /// <returns>false when the template could not be brought up to date (the caller migrates from scratch instead).</returns>
    public async Task<bool> EnsureCurrentAsync(string server, CancellationToken ct)
    {
        lock (_currentOn)
        {
            if (_currentOn.Contains(server))
            {
                return true;
            }
        }
        await _gate.WaitAsync(ct);
        try
        {
            lock (_currentOn)
            {
                if (_currentOn.Contains(server))
                {
                    return true; // another loop of this worker did it while we waited
                }
            }
            await EnsureExistsAsync(server, ct);
            await using (var db = schema.CreateContext(connections.TemplateOwnerConnectionString(server)))
            {
                await db.Database.MigrateAsync(ct);
            }
            lock (_currentOn)
            {
                _currentOn.Add(server);
            }
            logger.LogInformation("Tenant template on {Server} is at {Migration}", server, schema.LatestMigration);
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Tenant template on {Server} could not be brought up to date; provisioning migrates from scratch", server);
            return false;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task EnsureExistsAsync(string server, CancellationToken ct)
    {
        var template = SqlIdentifier.Quote(TenantNaming.TemplateDatabase);
        await using (var connection = await connections.OpenProvisionerAsync(server, ct))
        {
            if (!await ServerAdmin.ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", TenantNaming.TemplateDatabase, ct))
            {
                try
                {
                    await ServerAdmin.ExecuteAsync(connection, $"CREATE DATABASE {template}", ct);
                }
                catch (Npgsql.PostgresException e) when (e.SqlState == Npgsql.PostgresErrorCodes.DuplicateDatabase)
                {
                    // another worker created it
                }
            }
        }
        await using var inside = connections.OpenProvisionerIn(server, TenantNaming.TemplateDatabase);
        await inside.OpenAsync(ct);
        await ServerAdmin.ExecuteAsync(inside, $"REVOKE ALL ON DATABASE {template} FROM PUBLIC", ct);
        await ServerAdmin.ExecuteAsync(inside,
            $"GRANT USAGE, CREATE ON SCHEMA public TO {SqlIdentifier.Quote(TenantNaming.TemplateOwnerRole)}", ct);
    }
}
