using TenantAspire.Tests.CustomFields;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Servers;

[Collection(SettingsStacksCollection.Name)]
public sealed class CustomFieldMoveTests(ServersStackFixture fixture) : OnSharedStack(fixture)
{
    private readonly ServerTestKit _kit = new(fixture);
    private readonly CustomFieldTestKit _fields = new(fixture);

    [Fact]
    public async Task A_tenant_moved_to_another_server_keeps_its_fields_values_and_indexes()
    {
        var slug = await _kit.OnStandardServerAsync("mv-cf");
        await _fields.DefineAndFillAsync(slug);

        var move = (await _kit.ChangeTierAsync(slug, "premium"))!.Value;
        await _kit.WaitForMoveAsync(slug, move.GetProperty("id").GetString()!, "Switched", "Completed");

        Assert.Equal(ServersStackFixture.Premium, (await _kit.TenantAsync(slug)).GetProperty("server").GetString());
        await _fields.AssertKeptAsync(slug);
    }
}
