using Npgsql;

namespace TenantAspire.ProvisioningWorker.Rollouts;

/// <summary>Reads a tenant-schema database's own migration history: the only source of truth for "which version is it at".</summary>
public static class TenantHistory
{
    /// <returns>The newest applied migration; null for a database without any.</returns>
    public static async Task<string?> AppliedAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, CancellationToken ct)
    {
        await using (var exists = new NpgsqlCommand("SELECT to_regclass('public.\"__EFMigrationsHistory\"') IS NOT NULL", connection, tx))
        {
            if (await exists.ExecuteScalarAsync(ct) is not true)
            {
                return null;
            }
        }
        await using var applied = new NpgsqlCommand("SELECT max(migration_id) FROM public.\"__EFMigrationsHistory\"", connection, tx);
        return await applied.ExecuteScalarAsync(ct) as string;
    }
}
