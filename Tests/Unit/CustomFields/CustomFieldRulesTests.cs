using TenantAspire.Tenancy.CustomFields;
using static TenantAspire.Tests.Unit.CustomFields.CustomFieldTestData;

namespace TenantAspire.Tests.Unit.CustomFields;

public sealed class CustomFieldRulesTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("due_date2", true)]
    [InlineData("a234567890123456789012345678901234567890", true)] // 40
    [InlineData("a2345678901234567890123456789012345678901", false)] // 41
    [InlineData("Due", false)]
    [InlineData("2nd", false)]
    [InlineData("due-date", false)]
    [InlineData("due date", false)]
    [InlineData("due\n", false)]
    [InlineData("x'; DROP TABLE users; --", false)]
    [InlineData("", false)]
    public void Names_follow_the_slug_rules_with_underscores(string name, bool valid) =>
        Assert.Equal(valid, CustomFieldRules.IsValidName(name));

    [Fact]
    public void Entities_and_types_parse_from_their_wire_names_only()
    {
        Assert.True(CustomFieldRules.TryParseEntity("projects", out var entity));
        Assert.Equal(CustomEntity.Projects, entity);
        Assert.False(CustomFieldRules.TryParseEntity("Projects", out _));
        Assert.False(CustomFieldRules.TryParseEntity("1", out _));
        Assert.True(CustomFieldRules.TryParseType("enum", out var type));
        Assert.Equal(CustomFieldType.Enum, type);
        Assert.False(CustomFieldRules.TryParseType("string", out _));
    }

    [Fact]
    public void An_enum_needs_distinct_values_and_only_an_enum_has_values()
    {
        Assert.Empty(CustomFieldRules.Validate(Field("plan", CustomFieldType.Enum, values: ["free", "pro"])));
        Assert.Contains("values", CustomFieldRules.Validate(Field("plan", CustomFieldType.Enum)).Keys);
        Assert.Contains("values", CustomFieldRules.Validate(Field("plan", CustomFieldType.Enum, values: ["free", "free"])).Keys);
        Assert.Contains("values", CustomFieldRules.Validate(Field("plan", CustomFieldType.Enum, values: [" "])).Keys);
        Assert.Contains("values", CustomFieldRules.Validate(Field("score", CustomFieldType.Number, values: ["1"])).Keys);
        Assert.Contains("name", CustomFieldRules.Validate(Field("Bad", CustomFieldType.Text)).Keys);
    }

    [Fact]
    public void An_entity_holds_at_most_50_fields_and_20_indexed_and_replacing_one_does_not_count_twice()
    {
        var fifty = Enumerable.Range(0, 50).Select(i => Field($"f{i}", CustomFieldType.Text, indexed: i < 20)).ToList();
        Assert.Contains("50", CustomFieldRules.CheckLimits(Field("one_more", CustomFieldType.Text), fifty));
        Assert.Null(CustomFieldRules.CheckLimits(Field("f3", CustomFieldType.Number), fifty)); // a change of an existing one
        Assert.Null(CustomFieldRules.CheckLimits(Field("other", CustomFieldType.Text, entity: CustomEntity.Tasks), fifty));
        var nineteen = fifty.Take(30).ToList();
        Assert.Contains("20", CustomFieldRules.CheckLimits(Field("idx", CustomFieldType.Text, indexed: true), nineteen));
        Assert.Null(CustomFieldRules.CheckLimits(Field("idx", CustomFieldType.Text), nineteen));
    }
}
