using Dupa.Core.Errors;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;

namespace Dupa.Core.Files;

/// <summary>
/// Reads one file version chunk by chunk: one chunk in memory at a time, each authenticated before a byte of it
/// is returned. Seekable (chunk offsets are known from the chunk list), so the node can serve Range requests.
/// </summary>
internal sealed class VaultFileStream : Stream
{
    private readonly Vault _vault;
    private readonly IReadOnlyList<ChunkRef> _chunks;
    private readonly long[] _starts;
    private readonly long _length;
    private RentedChunk? _current;
    private int _currentIndex = -1;
    private long _position;

    public VaultFileStream(Vault vault, FileVersion version)
    {
        if (version.Type != NodeType.File)
        {
            throw new ArgumentException("Only files have content.", nameof(version));
        }
        _vault = vault;
        _chunks = vault.ResolveChunks(version.Content);
        _starts = new long[_chunks.Count];
        long offset = 0;
        for (var i = 0; i < _chunks.Count; i++)
        {
            _starts[i] = offset;
            offset += _chunks[i].Len;
        }
        _length = offset;
        if (_length != version.Size)
        {
            throw new IntegrityException($"version {version.Ref.Short}", "the chunk list does not add up to the file size");
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => true;
    public override bool CanWrite => false;
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => Seek(value, SeekOrigin.Begin);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (_position >= _length || buffer.IsEmpty)
        {
            return 0;
        }
        var index = ChunkAt(_position);
        if (index != _currentIndex)
        {
            _current?.Dispose();
            _current = null;
            _current = _vault.Chunks.Read(_chunks[index].Id, BlobKind.Data);
            _currentIndex = index;
            if (_current.Value.Length != _chunks[index].Len)
            {
                throw new IntegrityException($"chunk {_chunks[index].Id.Short}", "its length differs from the chunk list");
            }
        }
        var within = (int)(_position - _starts[index]);
        var n = Math.Min(buffer.Length, _current!.Value.Length - within);
        _current.Value.Span.Slice(within, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return ValueTask.FromResult(Read(buffer.Span));
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private int ChunkAt(long position)
    {
        var index = Array.BinarySearch(_starts, position);
        return index >= 0 ? index : ~index - 1;
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        var target = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            _ => _length + offset,
        };
        ArgumentOutOfRangeException.ThrowIfNegative(target, nameof(offset));
        _position = target;
        return _position;
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _current?.Dispose();
        _current = null;
        base.Dispose(disposing);
    }
}
