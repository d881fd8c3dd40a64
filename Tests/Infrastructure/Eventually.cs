namespace TenantAspire.Tests.Infrastructure;

public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every 100 ms until it holds; a TimeoutException says what never became true.</summary>
    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string? what = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                if (await condition())
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or InvalidOperationException or Npgsql.NpgsqlException)
            {
                last = e;
            }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{what ?? "condition"} did not hold within {timeout}", last);
    }
}
