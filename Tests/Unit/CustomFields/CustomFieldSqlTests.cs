using TenantAspire.Tenancy.CustomFields;
using static TenantAspire.Tests.Unit.CustomFields.CustomFieldTestData;

namespace TenantAspire.Tests.Unit.CustomFields;

public sealed class CustomFieldSqlTests
{
    [Fact]
    public void A_query_uses_the_index_expression_word_for_word_and_binds_every_value()
    {
        var score = Field("score", CustomFieldType.Number, indexed: true);
        Assert.Equal("CREATE INDEX CONCURRENTLY \"ix_users_custom_score\" ON public.users (((custom ->> 'score')::numeric))",
            CustomFieldSql.CreateIndex(score));
        var query = new CustomQuery([new(score, CustomFilterOp.Gte, 2m), new(Field("plan", CustomFieldType.Enum, values: ["a"]), CustomFilterOp.Eq, "a")],
            new(score, Descending: true), []);
        var (where, orderBy, parameters) = CustomFieldSql.Clauses(query);
        Assert.Equal("((custom ->> 'score')::numeric) >= @cf0 AND (custom ->> 'plan') = @cf1", where);
        Assert.Equal("((custom ->> 'score')::numeric) DESC NULLS LAST, id", orderBy);
        Assert.Equal([2m, (object)"a"], parameters.Select(p => p.Value));
        Assert.Equal(["cf0", "cf1"], parameters.Select(p => p.ParameterName));
        Assert.Contains(CustomFieldSql.Expression(score), CustomFieldSql.CreateIndex(score), StringComparison.Ordinal);
    }

    [Fact]
    public void Dates_compare_as_their_iso_text_which_an_index_may_hold()
    {
        var joined = Field("joined", CustomFieldType.Date, entity: CustomEntity.Tasks);
        Assert.Equal("(custom ->> 'joined')", CustomFieldSql.Expression(joined));
        Assert.Equal("ix_tasks_custom_joined", CustomFieldSql.IndexName(joined));
        Assert.Equal("DROP INDEX CONCURRENTLY IF EXISTS public.\"ix_tasks_custom_joined\"", CustomFieldSql.DropIndex(joined));
    }

    [Fact]
    public void A_name_that_is_not_a_field_name_never_reaches_sql_text()
    {
        Assert.Throws<ArgumentException>(() => CustomFieldSql.Expression(Field("x') OR true --", CustomFieldType.Text)));
        Assert.True(CustomFieldSql.IndexName(Field("a234567890123456789012345678901234567890", CustomFieldType.Text, entity: CustomEntity.Projects)).Length <= 63);
    }

    [Fact]
    public void An_empty_query_selects_everything_in_the_lists_own_order()
    {
        var (where, orderBy, parameters) = CustomFieldSql.Clauses(new([], null, []), "email");
        Assert.Equal(("TRUE", "email"), (where, orderBy));
        Assert.Empty(parameters);
    }

    [Fact]
    public void A_type_change_rewrites_values_canonically_and_a_removal_takes_them_out()
    {
        var score = Field("score", CustomFieldType.Text);
        Assert.Equal("UPDATE public.users SET custom = custom || jsonb_build_object('score', to_jsonb((custom ->> 'score')::numeric)) WHERE custom ? 'score'",
            CustomFieldSql.ConvertValues(score, CustomFieldType.Number));
        Assert.Equal("UPDATE public.users SET custom = custom - 'score' WHERE custom ? 'score'", CustomFieldSql.RemoveValues(score));
        Assert.Contains("IN ('string', 'number', 'boolean')", CustomFieldSql.CountNotConverting(score, CustomFieldType.Text, []).Sql);
        var (enumSql, enumParameters) = CustomFieldSql.CountNotConverting(score, CustomFieldType.Enum, ["a", "b"]);
        Assert.Contains("= ANY($1)", enumSql);
        Assert.Equal((string[])["a", "b"], Assert.Single(enumParameters).Value);
    }

    [Fact]
    public void A_moves_empty_target_builds_plainly_and_a_leftover_is_dropped_by_its_name()
    {
        var score = Field("score", CustomFieldType.Number, indexed: true);
        Assert.StartsWith("CREATE INDEX \"ix_users_custom_score\"", CustomFieldSql.CreateIndex(score, concurrently: false));
        Assert.Equal("DROP INDEX CONCURRENTLY IF EXISTS public.\"ix_users_custom_old\"", CustomFieldSql.DropIndex("ix_users_custom_old"));
    }
}
