using TenantAspire.Tenancy.CustomFields;

namespace TenantAspire.Tests.Unit.CustomFields;

/// <summary>One field of each type on users, as a tenant-admin would define them.</summary>
internal static class CustomFieldTestData
{
    public static CustomFieldDefinition Field(string name, CustomFieldType type, bool required = false, bool indexed = false,
        CustomEntity entity = CustomEntity.Users, params string[] values) =>
        new() { Entity = entity, Name = name, Type = type, Required = required, Indexed = indexed, EnumValues = [.. values] };

    public static List<CustomFieldDefinition> Fields() =>
    [
        Field("nickname", CustomFieldType.Text),
        Field("score", CustomFieldType.Number, indexed: true),
        Field("vip", CustomFieldType.Boolean),
        Field("joined", CustomFieldType.Date, required: true),
        Field("plan", CustomFieldType.Enum, values: ["free", "pro"]),
    ];
}
