using Npgsql;
using TenantAspire.Tenancy.Catalog;
using TenantAspire.Tenancy.Connections;
using TenantAspire.TenantApi.Admin;

namespace TenantAspire.Tests.Unit;

public sealed class InputRulesTests
{
    [Theory]
    [InlineData("admin\n")]
    [InlineData("acme\n")]
    [InlineData("acme\r\n")]
    [InlineData("acme ")]
    [InlineData("Acme")]
    [InlineData("ab")]
    public void Slugs_with_a_trailing_newline_or_bad_shape_are_invalid(string slug) => Assert.False(TenantSlug.IsValid(slug));

    [Fact]
    public void A_plain_slug_is_valid() => Assert.True(TenantSlug.IsValid("acme-2"));

    [Theory]
    [InlineData(2147483647, 100)]
    [InlineData(Paging.MaxPage + 1, 1)]
    [InlineData(0, 10)]
    [InlineData(1, 101)]
    public void Pages_whose_offset_cannot_be_an_int_are_refused(int page, int pageSize) =>
        Assert.NotNull(Paging.Validate(page, pageSize));

    [Fact]
    public void The_last_allowed_page_has_an_int_offset()
    {
        Assert.Null(Paging.Validate(Paging.MaxPage, Paging.MaxPageSize));
        Assert.True((long)(Paging.MaxPage - 1) * Paging.MaxPageSize < int.MaxValue);
    }

    [Theory]
    [InlineData("57P01", true)]  // session ended by hibernate or delete
    [InlineData("55000", true)]  // database closed to connections (hibernated)
    [InlineData("3D000", true)]  // database dropped
    [InlineData("08006", true)]  // connection failure
    [InlineData("53300", true)]  // too many clients
    [InlineData("23505", false)] // a real constraint violation is not "retry later"
    [InlineData("42601", false)] // a syntax error is a bug
    public void Only_not_now_database_errors_are_unavailable(string sqlState, bool unavailable) =>
        Assert.Equal(unavailable, DatabaseUnavailable.IsUnavailableState(sqlState));

    [Fact]
    public void A_broken_connection_is_unavailable_and_a_plain_bug_is_not()
    {
        Assert.True(DatabaseUnavailable.Is(new NpgsqlException("Exception while reading from stream", new EndOfStreamException())));
        Assert.True(DatabaseUnavailable.Is(new InvalidOperationException("wrapped", new TimeoutException())));
        Assert.False(DatabaseUnavailable.Is(new InvalidOperationException("bug")));
    }
}
