using TenantAspire.Tenancy.CustomFields;
using static TenantAspire.Tests.Unit.CustomFields.CustomFieldTestData;

namespace TenantAspire.Tests.Unit.CustomFields;

public sealed class CustomFieldSchemaTests
{
    [Fact]
    public void The_schema_says_each_fields_type_which_are_required_and_that_nothing_else_is_allowed()
    {
        var fields = Fields();
        fields[0].Description = "What friends call them";
        var schema = CustomFieldSchema.For(fields);
        var users = schema["properties"]!["users"]!;
        Assert.Equal("""{"type":"string","maxLength":2000,"description":"What friends call them"}""", users["properties"]!["nickname"]!.ToJsonString());
        Assert.Equal("""{"type":"number"}""", users["properties"]!["score"]!.ToJsonString());
        Assert.Equal("""{"type":"string","format":"date"}""", users["properties"]!["joined"]!.ToJsonString());
        Assert.Equal("""{"type":"string","enum":["free","pro"]}""", users["properties"]!["plan"]!.ToJsonString());
        Assert.Equal("""["joined"]""", users["required"]!.ToJsonString());
        Assert.False(users["additionalProperties"]!.GetValue<bool>());
        Assert.Equal("""{"type":"object","properties":{},"required":[],"additionalProperties":false}""", schema["properties"]!["tasks"]!.ToJsonString());
    }
}
