using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using TenantAspire.Tenancy.Auth;
using TenantAspire.Tests.Infrastructure;

namespace TenantAspire.Tests.CustomFields;

/// <summary>Custom fields on the real stack: definitions, values, filters, sorting, per-tenant indexes built by the worker.</summary>
[Collection(AspireAppCollection.Name)]
public sealed class CustomFieldTests(AspireAppFixture fixture)
{
    private readonly TenantTestKit _kit = new(fixture);

    private async Task<JsonElement> OkJsonAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync();
        if (expected != response.StatusCode && (int)response.StatusCode >= 500)
        {
            body += "\n" + await fixture.RecentLogsAsync("tenant-api", 60); // the server's side of a 5xx
        }
        Assert.True(expected == response.StatusCode, $"{response.StatusCode}: {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement.Clone();
    }

    /// <summary>A 400 problem whose <c>errors</c> name exactly <paramref name="key"/> (and a trace id).</summary>
    private async Task AssertInvalidAsync(Task<HttpResponseMessage> send, string key)
    {
        using var response = await send;
        var problem = await OkJsonAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal([key], problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).ToArray());
        Assert.True(problem.TryGetProperty("traceId", out _), problem.ToString());
    }

    private async Task<string> DatabaseOfAsync(string slug) =>
        (await _kit.CatalogScalarAsync<string>("SELECT database_name FROM tenants WHERE slug = $1", slug))!;

    private async Task<bool> IndexExistsAsync(string slug, string index) =>
        await _kit.ScalarInAsync<bool>(await DatabaseOfAsync(slug), "SELECT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = $1)", [index]);

    private async Task<JsonElement> FieldAsync(HttpClient client, string slug, string entity, string name)
    {
        using var response = await client.GetAsync($"/api/tenants/{slug}/custom-fields/{entity}/{name}");
        return await OkJsonAsync(response, HttpStatusCode.OK);
    }

    private Task WaitForIndexStateAsync(HttpClient client, string slug, string entity, string name, string state) =>
        Eventually.TrueAsync(async () => (await FieldAsync(client, slug, entity, name)).GetProperty("indexState").GetString() == state,
            TimeSpan.FromSeconds(60), $"{entity}.{name} index {state}");

    private async Task<string[]> EmailsAsync(HttpClient client, string slug, string query)
    {
        using var response = await client.GetAsync($"/api/tenants/{slug}/users?{query}");
        var page = await OkJsonAsync(response, HttpStatusCode.OK);
        return [.. page.GetProperty("items").EnumerateArray().Select(u => u.GetProperty("email").GetString()!)];
    }

    [Fact]
    public async Task Fields_of_every_type_validate_values_filter_sort_and_get_an_index_in_their_own_tenants_database_only()
    {
        var slug = await _kit.CreateActiveAsync("cf");
        var other = await _kit.CreateActiveAsync("cfo");
        using var admin = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using var member = fixture.ApiAs(slug, TenantClaims.Member);
        var fields = $"/api/tenants/{slug}/custom-fields";

        foreach (var field in new object[]
                 {
                     new { entity = "users", name = "score", type = "number", indexed = true },
                     new { entity = "users", name = "plan", type = "enum", values = new[] { "free", "pro" } },
                     new { entity = "users", name = "joined", type = "date" },
                     new { entity = "users", name = "vip", type = "boolean" },
                     new { entity = "users", name = "nickname", type = "text", description = "what colleagues call them" },
                     new { entity = "projects", name = "code", type = "text", required = true },
                 })
        {
            using var created = await admin.PostAsJsonAsync(fields, field);
            await OkJsonAsync(created, HttpStatusCode.Created);
        }
        // Bad definitions: each a 400 naming what is wrong; a second field of the same name a 409.
        await AssertInvalidAsync(admin.PostAsJsonAsync(fields, new { entity = "users", name = "Bad-Name", type = "text" }), "name");
        await AssertInvalidAsync(admin.PostAsJsonAsync(fields, new { entity = "users", name = "ok", type = "money" }), "type");
        await AssertInvalidAsync(admin.PostAsJsonAsync(fields, new { entity = "users", name = "ok", type = "enum" }), "values");
        await AssertInvalidAsync(admin.PostAsJsonAsync(fields, new { entity = "invoices", name = "ok", type = "text" }), "entity");
        using (var duplicate = await admin.PostAsJsonAsync(fields, new { entity = "users", name = "plan", type = "text" }))
        {
            await OkJsonAsync(duplicate, HttpStatusCode.Conflict);
        }

        // Values: valid ones are stored canonically; each invalid one is its own 400 naming the field, and writes nothing.
        var users = $"/api/tenants/{slug}/users";
        foreach (var (email, score, plan) in new[] { ("a@cf.example", 7.5m, "pro"), ("b@cf.example", 2m, "free"), ("c@cf.example", 11m, "pro") })
        {
            using var created = await admin.PostAsJsonAsync(users, new { email, name = email, custom = new { score, plan, joined = "2026-01-05", vip = score > 5 } });
            var user = await OkJsonAsync(created, HttpStatusCode.Created);
            Assert.Equal(score, user.GetProperty("custom").GetProperty("score").GetDecimal());
            Assert.Equal("2026-01-05", user.GetProperty("custom").GetProperty("joined").GetString());
        }
        using (var plain = await admin.PostAsJsonAsync(users, new { email = "d@cf.example", name = "No custom" }))
        {
            Assert.Empty((await OkJsonAsync(plain, HttpStatusCode.Created)).GetProperty("custom").EnumerateObject());
        }
        await AssertInvalidAsync(admin.PostAsJsonAsync(users, new { email = "x@cf.example", name = "x", custom = new { nope = 1 } }), "custom.nope");
        await AssertInvalidAsync(admin.PostAsJsonAsync(users, new { email = "x@cf.example", name = "x", custom = new { score = "high" } }), "custom.score");
        await AssertInvalidAsync(admin.PostAsJsonAsync(users, new { email = "x@cf.example", name = "x", custom = new { plan = "gold" } }), "custom.plan");
        await AssertInvalidAsync(admin.PostAsJsonAsync(users, new { email = "x@cf.example", name = "x", custom = new { joined = "2026-13-01" } }), "custom.joined");
        await AssertInvalidAsync(admin.PostAsJsonAsync(users, new { email = "x@cf.example", name = "x", custom = new { vip = "yes" } }), "custom.vip");
        var owner = (await EmailsAsync(admin, slug, "pageSize=100")).Length;
        Assert.Equal(4, owner);
        using (var anyUser = await admin.GetAsync($"{users}?custom.plan=free"))
        {
            var ownerId = (await OkJsonAsync(anyUser, HttpStatusCode.OK)).GetProperty("items")[0].GetProperty("id").GetGuid();
            await AssertInvalidAsync(admin.PostAsJsonAsync($"/api/tenants/{slug}/projects", new { name = "P", ownerId }), "custom.code");
            using var project = await admin.PostAsJsonAsync($"/api/tenants/{slug}/projects", new { name = "P", ownerId, custom = new { code = "P-1" } });
            Assert.Equal("P-1", (await OkJsonAsync(project, HttpStatusCode.Created)).GetProperty("custom").GetProperty("code").GetString());
        }

        // Filters and sort: typed, bound, checked against the definitions.
        Assert.Equal(["a@cf.example", "c@cf.example"], await EmailsAsync(member, slug, "custom.plan=pro"));
        Assert.Equal(["a@cf.example", "c@cf.example"], await EmailsAsync(member, slug, "custom.score.gte=5"));
        Assert.Equal(["c@cf.example"], await EmailsAsync(member, slug, "custom.score.gt=7.5&custom.vip=true"));
        Assert.Equal(["c@cf.example", "a@cf.example", "b@cf.example", "d@cf.example"], await EmailsAsync(member, slug, "sort=-custom.score"));
        Assert.Equal(["b@cf.example"], await EmailsAsync(member, slug, "sort=custom.score&pageSize=1"));
        Assert.Equal(["a@cf.example"], await EmailsAsync(member, slug, "email=A@cf.example"));
        Assert.Equal(["a@cf.example"], await EmailsAsync(member, slug, "email=a@cf.example&custom.plan=pro"));
        Assert.Empty(await EmailsAsync(member, slug, "email=a@cf.example&custom.plan=free"));
        await AssertInvalidAsync(member.GetAsync($"{users}?custom.nope=1"), "custom.nope");
        await AssertInvalidAsync(member.GetAsync($"{users}?custom.plan.gt=free"), "custom.plan.gt");
        await AssertInvalidAsync(member.GetAsync($"{users}?custom.score=abc"), "custom.score");
        await AssertInvalidAsync(member.GetAsync($"{users}?sort=custom.nope"), "sort");

        // The indexed field's index: built by the worker in this tenant's database, and not in another's.
        await WaitForIndexStateAsync(member, slug, "users", "score", "ready");
        Assert.True(await IndexExistsAsync(slug, "ix_users_custom_score"));
        Assert.False(await IndexExistsAsync(other, "ix_users_custom_score"));

        // The tenant's JSON Schema.
        var schema = await member.GetFromJsonAsync<JsonElement>($"{fields}/schema");
        Assert.Equal(["free", "pro"], schema.GetProperty("properties").GetProperty("users").GetProperty("properties").GetProperty("plan")
            .GetProperty("enum").EnumerateArray().Select(v => v.GetString()!).ToArray());
        Assert.Equal(["code"], schema.GetProperty("properties").GetProperty("projects").GetProperty("required").EnumerateArray().Select(v => v.GetString()!).ToArray());

        // A type change is refused while stored values would not convert (the count named), and converts them otherwise.
        using (var refused = await admin.PutAsJsonAsync($"{fields}/users/plan", new { type = "number" }))
        {
            var problem = await OkJsonAsync(refused, HttpStatusCode.Conflict);
            Assert.Contains("3 stored value(s)", problem.GetProperty("detail").GetString());
        }
        using (var retyped = await admin.PutAsJsonAsync($"{fields}/users/score", new { type = "text", indexed = true }))
        {
            Assert.Equal("pending", (await OkJsonAsync(retyped, HttpStatusCode.OK)).GetProperty("indexState").GetString());
        }
        Assert.Equal(["a@cf.example"], await EmailsAsync(member, slug, "custom.score=7.5"));
        await WaitForIndexStateAsync(member, slug, "users", "score", "ready");

        // Removing the field drops its index and its values.
        using (var removed = await admin.DeleteAsync($"{fields}/users/score"))
        {
            await OkJsonAsync(removed, HttpStatusCode.NoContent);
        }
        await Eventually.TrueAsync(async () => !await IndexExistsAsync(slug, "ix_users_custom_score"), TimeSpan.FromSeconds(60), "index dropped");
        var stored = await _kit.ScalarInAsync<long>(await DatabaseOfAsync(slug), "SELECT count(*) FROM users WHERE custom ? 'score'", []);
        Assert.Equal(0, stored);
    }

    [Fact]
    public async Task Only_the_tenants_admins_define_fields_and_no_other_tenants_token_reads_them()
    {
        var slug = await _kit.CreateActiveAsync("cfa");
        var other = await _kit.CreateActiveAsync("cfb");
        using var admin = fixture.ApiAs(slug, TenantClaims.TenantAdmin);
        using (var created = await admin.PostAsJsonAsync($"/api/tenants/{slug}/custom-fields", new { entity = "tasks", name = "points", type = "number" }))
        {
            await OkJsonAsync(created, HttpStatusCode.Created);
        }
        using var member = fixture.ApiAs(slug, TenantClaims.Member);
        using (var denied = await member.PostAsJsonAsync($"/api/tenants/{slug}/custom-fields", new { entity = "tasks", name = "x", type = "text" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        }
        using (var deniedPut = await member.PutAsJsonAsync($"/api/tenants/{slug}/custom-fields/tasks/points", new { type = "text" }))
        {
            Assert.Equal(HttpStatusCode.Forbidden, deniedPut.StatusCode);
        }
        Assert.Single((await member.GetFromJsonAsync<JsonElement>($"/api/tenants/{slug}/custom-fields")).EnumerateArray());

        using var foreign = fixture.ApiAs(other, TenantClaims.TenantAdmin);
        using (var viaRoute = await foreign.GetAsync($"/api/tenants/{slug}/custom-fields"))
        {
            Assert.Equal(HttpStatusCode.Forbidden, viaRoute.StatusCode);
        }
        using var viaHeader = new HttpRequestMessage(HttpMethod.Get, "/api/custom-fields");
        viaHeader.Headers.Add("X-Tenant-Id", slug);
        using (var response = await foreign.SendAsync(viaHeader))
        {
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        // Its own header form sees its own (empty) definitions.
        using var own = new HttpRequestMessage(HttpMethod.Get, "/api/custom-fields");
        own.Headers.Add("X-Tenant-Id", other);
        using (var response = await foreign.SendAsync(own))
        {
            Assert.Empty((await OkJsonAsync(response, HttpStatusCode.OK)).EnumerateArray());
        }
    }
}
