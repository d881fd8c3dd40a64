using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Npgsql;
using TenantAspire.AppHost.Tenants;
using TenantAspire.Tests.Admin;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Dashboard;

/// <summary>
/// The dashboard's <c>tenants</c> resource, through Aspire.Hosting.Testing: its counts follow the catalog, and its commands act
/// through the admin API (on the fault-suite stack, whose workers judge a tenant idle after 1 s but scan only when asked).
/// </summary>
[Collection(FaultStackCollection.Name)]
public sealed class TenantsResourceTests(FaultStackFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    [Fact]
    public async Task The_tenants_resource_runs_and_its_counts_equal_the_catalogs()
    {
        await _kit.CreateActiveAsync("dash");
        await Eventually.TrueAsync(async () =>
        {
            var properties = Properties();
            return properties is not null
                   && properties["tenants.total"] == (await _kit.CatalogScalarAsync<long>("SELECT count(*) FROM tenants")).ToString(System.Globalization.CultureInfo.InvariantCulture)
                   && properties["tenants.active"] == (await _kit.CatalogScalarAsync<long>("SELECT count(*) FROM tenants WHERE status = 'Active'")).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }, TimeSpan.FromSeconds(30), "tenants resource Running with the catalog's counts");
    }

    [Fact]
    public async Task Create_tenant_creates_an_active_tenant_audited_as_the_dashboard()
    {
        await WaitRunningAsync();
        var slug = TenantTestKit.NewSlug("fromdash");
        var result = await ExecuteAsync(TenantsCommands.CreateTenant, ("slug", slug), ("name", "From the dashboard"), ("tier", "premium"));
        Assert.True(result.Success, result.Message);

        var tenant = await _kit.WaitForStatusAsync(slug, "active");
        Assert.Equal("premium", tenant.GetProperty("tier").GetString());
        Assert.Contains(await _kit.AuditAsync(slug), a => a.Action == "create-requested" && a.Actor == TenantsCommands.Actor);
    }

    [Fact]
    public async Task A_refused_command_returns_the_APIs_problem_detail()
    {
        await WaitRunningAsync();
        var result = await ExecuteAsync(TenantsCommands.CreateTenant, ("slug", "Not A Slug"), ("name", "Bad"), ("tier", "standard"));
        Assert.False(result.Success);
        Assert.Contains("400", result.Message, StringComparison.Ordinal);
        Assert.Contains("slug", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hibernate_idle_tenants_now_hibernates_an_idle_tenant_and_the_counts_follow()
    {
        await WaitRunningAsync();
        var slug = await _kit.CreateActiveAsync("idle");
        // Each worker judges idleness from its own last look at the transaction counters: ask until one has looked twice.
        await Eventually.TrueAsync(async () =>
        {
            var result = await ExecuteAsync(TenantsCommands.HibernateIdle);
            Assert.True(result.Success, result.Message);
            await Task.Delay(TimeSpan.FromSeconds(1.2));
            using var admin = fixture.PlatformAdmin();
            var tenant = await admin.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}");
            return tenant.GetProperty("status").GetString() == "hibernated";
        }, TimeSpan.FromSeconds(45), $"{slug} hibernated by the command");
        Assert.Contains(await _kit.AuditAsync(slug), a => a.Action == "hibernate-requested" && a.Actor == TenantsCommands.Actor);

        await Eventually.TrueAsync(async () =>
            Properties()?["tenants.hibernated"] == (await _kit.CatalogScalarAsync<long>("SELECT count(*) FROM tenants WHERE status = 'Hibernated'")).ToString(System.Globalization.CultureInfo.InvariantCulture)
            && long.Parse(Properties()!["tenants.hibernated"], System.Globalization.CultureInfo.InvariantCulture) >= 1,
            TimeSpan.FromSeconds(15), "tenants.hibernated follows the catalog");
    }

    [Fact]
    public async Task Back_up_now_makes_a_manual_backup_of_the_tenant()
    {
        await WaitRunningAsync();
        var slug = await _kit.CreateActiveAsync("dashbak");
        var backups = new Backups.BackupTestKit(fixture);

        var result = await ExecuteAsync(TenantsCommands.BackUpNow, ("slug", slug));
        Assert.True(result.Success, result.Message);

        await backups.WaitForBackupAsync(slug, b => b.GetProperty("trigger").GetString() == ProvisioningWorker.Backups.BackupHandler.ManualTrigger,
            what: $"the dashboard's backup of {slug}");
        var unknown = await ExecuteAsync(TenantsCommands.BackUpNow, ("slug", "no-such-tenant"));
        Assert.False(unknown.Success);
        Assert.Contains("404", unknown.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restore_to_a_point_in_time_refuses_a_future_moment_or_garbage_with_the_APIs_reason_and_changes_nothing()
    {
        await WaitRunningAsync();
        var slug = await _kit.CreateActiveAsync("dashpit");
        var future = DateTimeOffset.UtcNow.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);

        var inFuture = await ExecuteAsync(TenantsCommands.RestoreToPointInTime, ("slug", slug), ("pointInTime", future), ("asSlug", ""));
        Assert.False(inFuture.Success);
        Assert.Contains("400", inFuture.Message, StringComparison.Ordinal);
        Assert.Contains("future", inFuture.Message, StringComparison.OrdinalIgnoreCase);

        var garbage = await ExecuteAsync(TenantsCommands.RestoreToPointInTime, ("slug", slug), ("pointInTime", "yesterday-ish"), ("asSlug", ""));
        Assert.False(garbage.Success);
        Assert.Contains("400", garbage.Message, StringComparison.Ordinal);
        Assert.Equal(0L, await _kit.CatalogScalarAsync<long>(
            "SELECT count(*) FROM tenant_restores WHERE tenant_slug = $1", slug));
    }

    [Fact]
    public async Task Rollout_commands_go_through_the_API_and_pause_refuses_when_no_rollout_is_running()
    {
        await WaitRunningAsync();
        var badRings = await ExecuteAsync(RolloutCommands.Start, ("target", ""), ("rings", "ten, twenty"));
        Assert.False(badRings.Success);
        Assert.Contains("percentages", badRings.Message, StringComparison.Ordinal);

        var unknownTarget = await ExecuteAsync(RolloutCommands.Start, ("target", "20990101000000_NoSuchMigration"), ("rings", ""));
        Assert.False(unknownTarget.Success);
        Assert.Contains("400", unknownTarget.Message, StringComparison.Ordinal);

        // Nothing on this stack is behind: no rollout is open, so pause is refused (no rollout at all, or the API's 409).
        var pause = await ExecuteAsync(RolloutCommands.Pause);
        Assert.False(pause.Success);
        Assert.True(pause.Message is not null && (pause.Message.Contains("409", StringComparison.Ordinal) || pause.Message.Contains("no rollout", StringComparison.Ordinal)), pause.Message);
    }

    private async Task WaitRunningAsync()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await fixture.App.ResourceNotifications.WaitForResourceAsync(TenantsResourceExtensions.Name, KnownResourceStates.Running, cts.Token);
    }

    private Task<ExecuteCommandResult> ExecuteAsync(string command, params (string Name, string Value)[] arguments) =>
        fixture.App.ResourceCommands.ExecuteCommandAsync(TenantsResourceExtensions.Name, command,
            new InteractionInputCollection([.. arguments.Select(a => new InteractionInput { Name = a.Name, InputType = InputType.Text, Value = a.Value })]));

    private Dictionary<string, string>? Properties()
    {
        if (!fixture.App.ResourceNotifications.TryGetCurrentState(TenantsResourceExtensions.Name, out var resource)
            || resource.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            return null;
        }
        return resource.Snapshot.Properties.ToDictionary(p => p.Name, p => p.Value?.ToString() ?? "");
    }
}
