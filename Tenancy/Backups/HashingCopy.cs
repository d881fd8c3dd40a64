using System.Security.Cryptography;

namespace TenantAspire.Tenancy.Backups;

/// <summary>Copies a stream while hashing it (SHA-256), so a dump is checksummed on its way to or from the store, never read twice.</summary>
public static class HashingCopy
{
    public static async Task<(string Sha256, long Bytes)> CopyAsync(Stream from, Stream to, CancellationToken ct)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        int read;
        while ((read = await from.ReadAsync(buffer, ct)) > 0)
        {
            hash.AppendData(buffer, 0, read);
            await to.WriteAsync(buffer.AsMemory(0, read), ct);
            total += read;
        }
        return (Convert.ToHexStringLower(hash.GetHashAndReset()), total);
    }
}
