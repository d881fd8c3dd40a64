using System.Globalization;
using Azure.Storage.Blobs.Specialized;

namespace TenantAspire.Tenancy.Backups;

/// <summary>
/// A write-only stream that uploads a block blob as staged blocks and creates the blob only in <see cref="CommitAsync"/>. Unlike
/// the SDK's OpenWrite stream, disposing it without a commit (an error, a cancelled dump) creates nothing: a dump that failed
/// half-way can never turn into a blob that looks whole. Memory stays at one block whatever the dump's size.
/// </summary>
public sealed class StagedBlobStream(BlockBlobClient blob, int blockSize = 4 * 1024 * 1024) : Stream
{
    private readonly byte[] _buffer = new byte[blockSize];
    private readonly List<string> _blocks = [];
    private int _filled;

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!buffer.IsEmpty)
        {
            var take = Math.Min(buffer.Length, _buffer.Length - _filled);
            buffer[..take].CopyTo(_buffer.AsMemory(_filled));
            _filled += take;
            buffer = buffer[take..];
            if (_filled == _buffer.Length)
            {
                await StageAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <summary>Stages what is buffered and commits the block list: the blob now exists, whole.</summary>
    public async Task CommitAsync(CancellationToken ct)
    {
        if (_filled > 0 || _blocks.Count == 0)
        {
            await StageAsync(ct);
        }
        await blob.CommitBlockListAsync(_blocks, cancellationToken: ct);
    }

    private async Task StageAsync(CancellationToken ct)
    {
        // Block ids must be base64 of equal length within a blob.
        var id = Convert.ToBase64String(System.Text.Encoding.ASCII.GetBytes(_blocks.Count.ToString("d6", CultureInfo.InvariantCulture)));
        using var content = new MemoryStream(_buffer, 0, _filled, writable: false);
        await blob.StageBlockAsync(id, content, cancellationToken: ct);
        _blocks.Add(id);
        _filled = 0;
    }

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("write asynchronously");
    public override void Flush() { }
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
