using Dupa.Core.Storage;

namespace Dupa.Core.Chunking;

/// <summary>
/// Cuts a stream into chunks without holding it whole: one pooled buffer of 2 × MaxSize (8 MiB by default, at
/// least 1 MiB), refilled in large reads whenever less than MaxSize is left in it. The boundaries are exactly
/// those of <see cref="FastCdc.Split"/> over the same bytes, whatever sizes the stream's reads return.
/// <see cref="Next"/> reads synchronously (a local file, where an asynchronous read is only a hop to the thread
/// pool); <see cref="NextAsync"/> awaits the stream (an upload). A stream expected to be short (a small file)
/// starts with a buffer of its length, grown to the full size only if it turns out longer.
/// </summary>
public sealed class StreamChunker : IDisposable
{
    private const int MinimumBufferSize = 1024 * 1024;

    private readonly Stream _source;
    private readonly FastCdc _cdc;
    private readonly int _maxSize;
    private readonly int _fullSize;
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private int _returned;
    private bool _endOfStream;

    /// <summary>A chunker over <paramref name="source"/>; <paramref name="expectedLength"/> is its length if known (a file's size when it was listed), else -1.</summary>
    public StreamChunker(Stream source, FastCdc cdc, long expectedLength = -1)
        : this(source, cdc, MinimumBufferSize, expectedLength)
    {
    }

    /// <summary>Tests pass a small <paramref name="minimumBufferSize"/> to make refills frequent.</summary>
    internal StreamChunker(Stream source, FastCdc cdc, int minimumBufferSize, long expectedLength = -1)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(cdc);
        _source = source;
        _cdc = cdc;
        _maxSize = cdc.Parameters.MaxSize;
        // 2 × MaxSize is enough: a refill starts with less than MaxSize left and so reads at least MaxSize.
        // 4 × MaxSize measured no faster (within 2%: moving the tail is a memmove of under MaxSize per refill)
        // and costs 8 MiB more per concurrent upload, which matters on a Raspberry Pi.
        _fullSize = Math.Max(2 * _maxSize, minimumBufferSize);
        // One byte more than expected, so that a single read sees the end of a file that did not grow.
        _buffer = ChunkBuffers.Pool.Rent(expectedLength >= 0 && expectedLength < _fullSize ? (int)expectedLength + 1 : _fullSize);
    }

    /// <summary>
    /// The next chunk, valid until the next call or <see cref="Dispose"/>; empty at the end of the stream (an
    /// empty stream gives no chunk at all).
    /// </summary>
    public ValueTask<ReadOnlyMemory<byte>> NextAsync(CancellationToken cancellationToken = default)
    {
        var buffer = Advance();
        // The common case: enough bytes buffered for the cut rule to see MaxSize of them, or all that is left.
        return IsRefillDue ? RefillThenCutAsync(buffer, cancellationToken) : new ValueTask<ReadOnlyMemory<byte>>(Cut(buffer));
    }

    /// <summary>As <see cref="NextAsync"/>, reading the stream synchronously.</summary>
    public ReadOnlyMemory<byte> Next()
    {
        var buffer = Advance();
        if (IsRefillDue)
        {
            MoveTail(buffer);
            while (HasRoom(ref buffer))
            {
                var read = _source.Read(buffer.AsSpan(_end));
                if (read == 0)
                {
                    _endOfStream = true;
                    break;
                }
                _end += read;
            }
        }
        return Cut(buffer);
    }

    /// <summary>Whether a refill may read more: the buffer has room, or was smaller than its full size and now grew.</summary>
    private bool HasRoom(ref byte[] buffer)
    {
        if (_end < buffer.Length)
        {
            return true;
        }
        if (buffer.Length >= _fullSize)
        {
            return false;
        }
        var grown = ChunkBuffers.Pool.Rent(_fullSize);
        Buffer.BlockCopy(buffer, 0, grown, 0, _end);
        ChunkBuffers.Pool.Return(buffer);
        _buffer = buffer = grown;
        return true;
    }

    /// <summary>
    /// Whether the chunk <see cref="Next"/> or <see cref="NextAsync"/> just gave is known to be the stream's last: the
    /// stream has ended and nothing is left after it. Always known for a stream that fits the buffer (a file no larger
    /// than it was listed); false may still be followed by the end.
    /// </summary>
    public bool IsAtEnd => _endOfStream && _start + _returned == _end;

    private bool IsRefillDue => _end - _start < _maxSize && !_endOfStream;

    private byte[] Advance()
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        _start += _returned;
        _returned = 0;
        return _buffer;
    }

    /// <summary>Moves the unread tail (less than MaxSize) to the front, for a refill to fill the rest.</summary>
    private void MoveTail(byte[] buffer)
    {
        Buffer.BlockCopy(buffer, _start, buffer, 0, _end - _start);
        _end -= _start;
        _start = 0;
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ChunkBuffers.Pool.Return(_buffer);
            _buffer = null;
        }
    }

    private async ValueTask<ReadOnlyMemory<byte>> RefillThenCutAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        MoveTail(buffer);
        // Reads may be short.
        while (HasRoom(ref buffer))
        {
            var read = await _source.ReadAsync(buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                _endOfStream = true;
                break;
            }
            _end += read;
        }
        return Cut(buffer);
    }

    private ReadOnlyMemory<byte> Cut(byte[] buffer)
    {
        if (_end == _start)
        {
            return ReadOnlyMemory<byte>.Empty;
        }
        _returned = _cdc.FindBoundary(buffer.AsSpan(_start, _end - _start));
        return buffer.AsMemory(_start, _returned);
    }
}
