using System.Buffers;

namespace Dupa.Core.Chunking;

/// <summary>
/// Cuts a stream into chunks without holding it whole: one pooled buffer of 4 × MaxSize, refilled as chunks are
/// taken. The boundaries are exactly those of <see cref="FastCdc.Split"/> over the same bytes.
/// </summary>
public sealed class StreamChunker : IDisposable
{
    private readonly Stream _source;
    private readonly FastCdc _cdc;
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private int _last;
    private bool _endOfStream;

    public StreamChunker(Stream source, FastCdc cdc)
    {
        _source = source;
        _cdc = cdc;
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(4 * cdc.Parameters.MaxSize, 1 << 20));
    }

    /// <summary>The next chunk, valid until the next call; empty at the end of the stream.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> NextAsync(CancellationToken cancellationToken = default)
    {
        var buffer = _buffer ?? throw new ObjectDisposedException(nameof(StreamChunker));
        _start += _last;
        _last = 0;
        if (_end - _start < _cdc.Parameters.MaxSize && !_endOfStream)
        {
            // Move the unread tail to the front and fill the rest; short reads are fine.
            Buffer.BlockCopy(buffer, _start, buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
            while (_end < buffer.Length)
            {
                var n = await _source.ReadAsync(buffer.AsMemory(_end), cancellationToken);
                if (n == 0)
                {
                    _endOfStream = true;
                    break;
                }
                _end += n;
            }
        }
        if (_end == _start)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        _last = _cdc.FindBoundary(buffer.AsSpan(_start, _end - _start));
        return buffer.AsMemory(_start, _last);
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }
}
