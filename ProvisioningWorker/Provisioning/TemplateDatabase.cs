using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using TenantAspire.ProvisioningWorker.Rollouts;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Data;
using TenantAspire.Tenancy.Sql;

namespace TenantAspire.ProvisioningWorker.Provisioning;

/// <summary>
/// Keeps the catalog's template (<see cref="CatalogScopedNames.TemplateDatabase"/>) at the new-tenant migration so new tenants
/// are a ~50 ms <c>CREATE DATABASE … TEMPLATE</c> instead of a full migration. When the tenant migrations change, the next provisioning (or the rollout, which goes first)
/// migrates the template forward. Only ever forward: a template ahead of what new tenants should get (a test pin) is not cloned.
/// </summary>
public sealed class TemplateDatabase(
    ServerConnections connections, TenantSchema schema, SchemaTargets targets, CatalogScopedNames names, ILogger<TemplateDatabase> logger)
    : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<string, string?> _versions = new(StringComparer.Ordinal);

    /// <returns>
    /// true when new tenants may be cloned from the template (it is at the new-tenant migration); false when it could not be brought
    /// there or is ahead of it (the caller migrates from scratch instead).
    /// </returns>
    public async Task<bool> EnsureCurrentAsync(string server, CancellationToken ct)
    {
        try
        {
            return await BringForwardAsync(server, targets.NewTenants, ct) == targets.NewTenants;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Tenant template on {Server} could not be brought up to date; provisioning migrates from scratch", server);
            return false;
        }
    }

    /// <summary>Migrates the template up to <paramref name="target"/> unless it is there or beyond; returns where it is.</summary>
    public async Task<string?> BringForwardAsync(string server, string target, CancellationToken ct)
    {
        lock (_versions)
        {
            if (_versions.TryGetValue(server, out var known) && !TenantMigrations.IsBehind(known, target))
            {
                return known;
            }
        }
        await _gate.WaitAsync(ct);
        try
        {
            await EnsureExistsAsync(server, ct);
            await using var db = schema.CreateContext(connections.TemplateOwnerConnectionString(server, names.TemplateDatabase));
            var applied = (await db.Database.GetAppliedMigrationsAsync(ct)).Order(StringComparer.Ordinal).LastOrDefault();
            if (TenantMigrations.IsBehind(applied, target))
            {
                await db.GetService<IMigrator>().MigrateAsync(target, ct);
                applied = target;
                logger.LogInformation("Tenant template on {Server} is at {Migration}", server, target);
            }
            lock (_versions)
            {
                _versions[server] = applied;
            }
            return applied;
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose() => _gate.Dispose();

    private async Task EnsureExistsAsync(string server, CancellationToken ct)
    {
        var template = SqlIdentifier.Quote(names.TemplateDatabase);
        await using (var connection = await connections.OpenProvisionerAsync(server, ct))
        {
            if (!await ServerAdmin.ExistsAsync(connection, "SELECT 1 FROM pg_database WHERE datname = $1", names.TemplateDatabase, ct))
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
        await using var inside = await connections.OpenProvisionerInAsync(server, names.TemplateDatabase, ct);
        await ServerAdmin.ExecuteAsync(inside.Connection, $"REVOKE ALL ON DATABASE {template} FROM PUBLIC", ct);
        await ServerAdmin.ExecuteAsync(inside.Connection,
            $"GRANT USAGE, CREATE ON SCHEMA public TO {SqlIdentifier.Quote(TenantNaming.TemplateOwnerRole)}", ct);
    }
}
