using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.CustomFields;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.Backups;

[Collection(BackupStackCollection.Name)]
public sealed class CustomFieldRestoreTests(BackupStackFixture fixture)
{
    private readonly BackupTestKit _kit = new(fixture);
    private readonly CustomFieldTestKit _fields = new(fixture);

    [Fact]
    public async Task A_restore_brings_back_a_removed_field_with_its_values_and_index()
    {
        var slug = await _kit.Tenants.CreateActiveAsync("rs-cf");
        await _fields.DefineAndFillAsync(slug);
        var backup = await _kit.BackUpNowAsync(slug);

        using (var admin = fixture.ApiAs(slug, TenantClaims.TenantAdmin))
        using (var removed = await admin.DeleteAsync($"/api/tenants/{slug}/custom-fields/users/plan"))
        {
            Assert.Equal(HttpStatusCode.NoContent, removed.StatusCode);
        }

        using var asked = await _kit.RestoreAsync(slug, backup.GetProperty("id").GetString()!);
        Assert.Equal(HttpStatusCode.Accepted, asked.StatusCode);
        var id = (await asked.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var restore = await _kit.WaitForRestoreAsync(slug, id, "Swapped", "Failed");
        Assert.True(restore.GetProperty("phase").GetString() == "swapped", restore.ToString());
        await _fields.AssertKeptAsync(slug);
    }
}
