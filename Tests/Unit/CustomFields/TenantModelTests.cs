using TenantAspire.Tenancy.CustomFields;
using TenantAspire.Tenancy.Data;

namespace TenantAspire.Tests.Unit.CustomFields;

/// <summary>A tenant behind the CustomFields migration gets a model without what that migration added (and both are cached apart).</summary>
public sealed class TenantModelTests
{
    private static readonly TenantSchema Schema = new();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_model_has_custom_columns_and_definitions_only_for_a_tenant_past_the_migration(bool withCustomFields)
    {
        using var context = Schema.CreateContext("Host=unused", withCustomFields);
        foreach (var entity in new[] { typeof(User), typeof(Project), typeof(ProjectTask) })
        {
            Assert.Equal(withCustomFields, context.Model.FindEntityType(entity)!.FindProperty(nameof(User.Custom)) is not null);
        }
        Assert.Equal(withCustomFields, context.Model.FindEntityType(typeof(CustomFieldDefinition)) is not null);
    }

    [Fact]
    public void The_two_models_are_cached_apart_whichever_is_built_first()
    {
        using var without = Schema.CreateContext("Host=unused", withCustomFields: false);
        using var with = Schema.CreateContext("Host=unused");
        Assert.NotSame(without.Model, with.Model);
        using var againWithout = Schema.CreateContext("Host=unused", withCustomFields: false);
        Assert.Same(without.Model, againWithout.Model);
    }
}
