using TenantAspire.Tenancy.CustomFields;
using static TenantAspire.Tests.Unit.CustomFields.CustomFieldTestData;

namespace TenantAspire.Tests.Unit.CustomFields;

public sealed class CustomQueryTests
{
    private static CustomQuery Parse(params (string Key, string Value)[] query) =>
        CustomQuery.Parse(query.GroupBy(q => q.Key).Select(g => new KeyValuePair<string, string?[]>(g.Key, [.. g.Select(q => q.Value)])), Fields());

    [Fact]
    public void Filters_and_a_sort_are_read_with_typed_values_and_other_keys_are_left_alone()
    {
        var query = Parse(("custom.score.gte", "2.5"), ("custom.score.lt", "10"), ("custom.vip", "true"), ("custom.joined.gt", "2026-01-01"),
            ("custom.plan", "pro"), ("sort", "-custom.score"), ("page", "2"), ("pageSize", "10"));
        Assert.Empty(query.Errors);
        Assert.Equal([(CustomFilterOp.Gte, (object)2.5m), (CustomFilterOp.Lt, 10m), (CustomFilterOp.Eq, true), (CustomFilterOp.Gt, "2026-01-01"),
            (CustomFilterOp.Eq, "pro")], query.Filters.Select(f => (f.Op, f.Value)));
        Assert.Equal(("score", true), (query.Sort!.Field.Name, query.Sort.Descending));
        Assert.True(Parse(("sort", "email"), ("page", "1")).IsEmpty);
    }

    [Theory]
    [InlineData("custom.colour", "red", "custom.colour")]
    [InlineData("custom.score", "ten", "custom.score")]
    [InlineData("custom.vip", "1", "custom.vip")]
    [InlineData("custom.joined", "2026-13-01", "custom.joined")]
    [InlineData("custom.plan", "gold", "custom.plan")]
    [InlineData("custom.nickname.gt", "a", "custom.nickname.gt")]
    [InlineData("custom.score.between", "1", "custom.score.between")]
    [InlineData("custom.score.GTE", "1", "custom.score.GTE")]
    [InlineData("sort", "custom.colour", "sort")]
    [InlineData("custom.x'); DROP TABLE users; --", "1", "custom.x'); DROP TABLE users; --")]
    public void A_bad_filter_or_sort_is_an_error_naming_its_key(string key, string value, string error)
    {
        var query = Parse((key, value));
        Assert.Equal([error], query.Errors.Keys);
        Assert.Empty(query.Filters);
    }

    [Fact]
    public void A_repeated_filter_is_refused()
    {
        Assert.Equal(["custom.plan"], Parse(("custom.plan", "pro"), ("custom.plan", "free")).Errors.Keys);
    }
}
