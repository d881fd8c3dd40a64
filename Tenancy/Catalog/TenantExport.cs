namespace TenantAspire.Tenancy.Catalog;

/// <summary>Expired: past its download window, the blob is deleted (the row stays as a record).</summary>
public enum ExportState { Pending, Running, Succeeded, Failed, Expired }

/// <summary>
/// A row of <c>tenant_exports</c>: a tenant's data as <c>pg_dump --format=custom</c>, made by the worker into the store and
/// downloaded from there (streamed) until <see cref="ExpiresAt"/>. The API never runs pg_dump.
/// </summary>
public sealed class TenantExport
{
    public Guid Id { get; set; }
    public Guid TenantId { get; set; }
    public required string TenantSlug { get; set; }
    public ExportState State { get; set; }
    public string? BlobName { get; set; }
    public long? Bytes { get; set; }
    public string? Sha256 { get; set; }
    public required string RequestedBy { get; set; }
    public string? Error { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? CompletedAt { get; set; }
    public DateTimeOffset? ExpiresAt { get; set; }
}
