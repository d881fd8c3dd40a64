using System.Text.Json;
using TenantAspire.Tenancy.CustomFields;
using static TenantAspire.Tests.Unit.CustomFields.CustomFieldTestData;

namespace TenantAspire.Tests.Unit.CustomFields;

public sealed class CustomValuesTests
{
    private static CustomValuesResult Check(string json) => CustomValues.Validate(JsonDocument.Parse(json).RootElement, Fields());

    [Fact]
    public void Valid_values_are_stored_canonically_and_nulls_are_left_out()
    {
        var result = Check("""{"nickname":"Ace","score":12.50,"vip":true,"joined":"2026-01-31","plan":"pro"}""");
        Assert.True(result.IsValid, string.Join("; ", result.Errors.Keys));
        Assert.Equal("""{"nickname":"Ace","score":12.50,"vip":true,"joined":"2026-01-31","plan":"pro"}""", result.Values.ToJsonString());
        var sparse = Check("""{"joined":"2026-02-01","nickname":null}""");
        Assert.True(sparse.IsValid);
        Assert.Equal("""{"joined":"2026-02-01"}""", sparse.Values.ToJsonString());
    }

    [Theory]
    [InlineData("""{"joined":"2026-01-01","nickname":5}""", "custom.nickname")]
    [InlineData("""{"joined":"2026-01-01","score":"12"}""", "custom.score")]
    [InlineData("""{"joined":"2026-01-01","vip":"yes"}""", "custom.vip")]
    [InlineData("""{"joined":"31/01/2026"}""", "custom.joined")]
    [InlineData("""{"joined":"2026-02-30"}""", "custom.joined")]
    [InlineData("""{"joined":"2026-01-01","plan":"gold"}""", "custom.plan")]
    [InlineData("""{"joined":"2026-01-01","plan":"Pro"}""", "custom.plan")]
    [InlineData("""{"joined":"2026-01-01","colour":"red"}""", "custom.colour")]
    [InlineData("""{}""", "custom.joined")]
    [InlineData("""{"joined":null}""", "custom.joined")]
    [InlineData("""[1]""", "custom")]
    [InlineData("\"text\"", "custom")]
    public void Each_invalid_value_is_an_error_naming_its_field(string json, string key)
    {
        var result = Check(json);
        Assert.False(result.IsValid);
        Assert.Equal([key], result.Errors.Keys);
    }

    [Fact]
    public void Absent_custom_is_an_empty_object_and_misses_only_required_fields()
    {
        var result = CustomValues.Validate(null, Fields());
        Assert.Equal(["custom.joined"], result.Errors.Keys);
        Assert.True(CustomValues.Validate(null, [Field("note", CustomFieldType.Text)]).IsValid);
    }

    [Fact]
    public void A_text_value_is_bounded_and_a_long_unknown_name_is_cut_in_the_error()
    {
        Assert.False(Check($$"""{"joined":"2026-01-01","nickname":"{{new string('x', 2001)}}"}""").IsValid);
        var result = Check($$"""{"joined":"2026-01-01","{{new string('n', 500)}}":1}""");
        Assert.True(result.Errors.Keys.Single().Length < 80);
    }
}
