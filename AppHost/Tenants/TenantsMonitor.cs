using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TenantAspire.AppHost.Tenants;

/// <summary>
/// Keeps the <c>tenants</c> resource live: one catalog query every <see cref="Interval"/> (as the API's least-privilege login,
/// which can read tenants and operations and nothing more), published as the resource's state, properties and health.
/// </summary>
public sealed class TenantsMonitor(TenantsResource resource, ReferenceExpression catalogConnection, ResourceNotificationService notifications,
    ILogger logger)
{
    /// <summary>The latest state read, for the resource's health check (null before the first read or while unreadable).</summary>
    public FleetState? Latest { get; private set; }

    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(3);

    public async Task RunAsync(CancellationToken ct)
    {
        var failing = false;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await using var connection = new NpgsqlConnection(await catalogConnection.GetValueAsync(ct));
                await connection.OpenAsync(ct);
                await FleetState.EnsureMigratedAsync(connection, ct);
                while (!ct.IsCancellationRequested)
                {
                    var state = await FleetState.ReadAsync(connection, ct);
                    Latest = state;
                    await notifications.PublishUpdateAsync(resource, s => s with
                    {
                        State = KnownResourceStates.Running,
                        StartTimeStamp = s.StartTimeStamp ?? DateTime.UtcNow,
                        Properties = state.Properties(),
                    });
                    failing = false;
                    await Task.Delay(Interval, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                // Before the worker has created the API's login, or while Postgres restarts (or anything else): say so, try again;
                // the loop must outlive any one failure, or the resource would silently freeze.
                Latest = null;
                if (!failing)
                {
                    logger.LogInformation("tenants: catalog not readable yet ({Reason}); retrying", e.Message);
                    failing = true;
                }
                await notifications.PublishUpdateAsync(resource, s => s with
                {
                    State = s.State?.Text == KnownResourceStates.Running ? new("Catalog unreachable", KnownResourceStateStyles.Warn) : s.State,
                });
                await Task.Delay(Interval, ct);
            }
        }
    }
}
