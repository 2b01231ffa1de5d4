using System.Buffers;

namespace Dupa.Core.Chunking;

/// <summary>
/// Cuts a stream into chunks without holding it whole: one pooled buffer of 2 × MaxSize (8 MiB by default, at
/// least 1 MiB), refilled in large reads whenever less than MaxSize is left in it. The boundaries are exactly
/// those of <see cref="FastCdc.Split"/> over the same bytes, whatever sizes the stream's reads return.
/// </summary>
public sealed class StreamChunker : IDisposable
{
    private const int MinimumBufferSize = 1024 * 1024;

    private readonly Stream _source;
    private readonly FastCdc _cdc;
    private readonly int _maxSize;
    private byte[]? _buffer;
    private int _start;
    private int _end;
    private int _returned;
    private bool _endOfStream;

    public StreamChunker(Stream source, FastCdc cdc)
        : this(source, cdc, MinimumBufferSize)
    {
    }

    /// <summary>Tests pass a small <paramref name="minimumBufferSize"/> to make refills frequent.</summary>
    internal StreamChunker(Stream source, FastCdc cdc, int minimumBufferSize)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(cdc);
        _source = source;
        _cdc = cdc;
        _maxSize = cdc.Parameters.MaxSize;
        // 2 × MaxSize is enough: a refill starts with less than MaxSize left and so reads at least MaxSize.
        // 4 × MaxSize measured no faster (within 2%: moving the tail is a memmove of under MaxSize per refill)
        // and costs 8 MiB more per concurrent upload, which matters on a Raspberry Pi.
        _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(2 * _maxSize, minimumBufferSize));
    }

    /// <summary>
    /// The next chunk, valid until the next call or <see cref="Dispose"/>; empty at the end of the stream (an
    /// empty stream gives no chunk at all).
    /// </summary>
    public ValueTask<ReadOnlyMemory<byte>> NextAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_buffer is null, this);
        _start += _returned;
        _returned = 0;
        // The common case: enough bytes buffered for the cut rule to see MaxSize of them, or all that is left.
        if (_end - _start >= _maxSize || _endOfStream)
        {
            return new ValueTask<ReadOnlyMemory<byte>>(Cut(_buffer));
        }
        return RefillThenCutAsync(_buffer, cancellationToken);
    }

    public void Dispose()
    {
        if (_buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = null;
        }
    }

    private async ValueTask<ReadOnlyMemory<byte>> RefillThenCutAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        // Move the unread tail (less than MaxSize) to the front, then fill the rest; reads may be short.
        Buffer.BlockCopy(buffer, _start, buffer, 0, _end - _start);
        _end -= _start;
        _start = 0;
        while (_end < buffer.Length)
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
