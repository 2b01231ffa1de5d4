using System.Security.Cryptography;
using Dupa.Core.Files;

namespace Dupa.Core.Storage;

/// <summary>
/// Writes one pack: blobs appended to a temporary file, then trailer, fsync, rename to its content hash and a
/// directory fsync (docs/format.md, order of writes). A writer that failed once stays failed: its temporary
/// file is deleted and never reused (restic's ErrBroken). Small blobs are gathered in a pooled 1 MiB buffer and
/// written together; a FileStream's own buffer was a new 1 MiB array per pack, which the GC left on its large
/// object heap: a put's memory grew by 3 % of what it stored (a 10 GiB put peaked at 264 MiB, a 1 GiB one at 118).
/// </summary>
internal sealed class PackWriter : IDisposable
{
    private readonly string _vaultDirectory;
    private readonly string _temporaryPath;
    private const int GatherSize = 1 << 20;

    private readonly FileStream _stream;
    private byte[]? _gathered = ChunkBuffers.Pool.Rent(GatherSize);
    private int _gatheredLength;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<PackEntry> _entries = [];
    private bool _broken;
    private bool _finished;

    public PackWriter(string vaultDirectory)
    {
        _vaultDirectory = vaultDirectory;
        var temporaryDirectory = Path.Combine(vaultDirectory, "packs", "tmp");
        Directory.CreateDirectory(temporaryDirectory);
        _temporaryPath = Path.Combine(temporaryDirectory, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + ".tmp");
        _stream = new FileStream(_temporaryPath, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        Span<byte> header = stackalloc byte[PackFormat.HeaderSize];
        PackFormat.WriteHeader(header);
        Write(header);
    }

    public long Length => _stream.Position + _gatheredLength;

    public int Count => _entries.Count;

    public IReadOnlyList<PackEntry> Entries => _entries;

    public void Add(ChunkId id, BlobKind kind, ReadOnlySpan<byte> sealedBlob)
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var offset = Length;
        Write(sealedBlob);
        _entries.Add(new PackEntry(id, offset, sealedBlob.Length, kind));
    }

    /// <summary>Writes the trailer, makes the pack durable under its final name, and returns what it holds.</summary>
    public PackInfo Finish()
    {
        ObjectDisposedException.ThrowIf(_finished, this);
        var trailerLength = (_entries.Count * PackFormat.TrailerEntrySize) + PackFormat.FooterSize;
        var trailer = ChunkBuffers.Pool.Rent(trailerLength);
        try
        {
            for (var i = 0; i < _entries.Count; i++)
            {
                PackFormat.WriteTrailerEntry(_entries[i], trailer.AsSpan(i * PackFormat.TrailerEntrySize));
            }
            var footer = trailer.AsSpan(_entries.Count * PackFormat.TrailerEntrySize, PackFormat.FooterSize);
            System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(footer, _entries.Count);
            PackFormat.EndMagic.CopyTo(footer[4..]);
            Write(trailer.AsSpan(0, trailerLength));
        }
        finally
        {
            ChunkBuffers.Pool.Return(trailer);
        }
        try
        {
            WriteGathered();
            _stream.Flush(flushToDisk: true);
            var size = _stream.Length;
            _stream.Dispose();
            var hash = Convert.ToHexStringLower(_hash.GetHashAndReset());
            var finalPath = Path.Combine(_vaultDirectory, PackFormat.RelativePath(hash));
            var directory = Path.GetDirectoryName(finalPath)!;
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory);
                DurableFile.SyncDirectory(Path.GetDirectoryName(directory)!);
            }
            File.Move(_temporaryPath, finalPath, overwrite: true);
            try
            {
                DurableFile.SyncDirectory(directory);
            }
            catch
            {
                // Under its name but not durable, and not yet the store's: nothing else would remove it.
                DurableFile.TryDelete(finalPath);
                throw;
            }
            _finished = true;
            return new PackInfo(hash, size, [.. _entries]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Break();
            throw DurableFile.IoError("cannot write a pack", e);
        }
    }

    private void Write(ReadOnlySpan<byte> bytes)
    {
        if (_broken)
        {
            throw new InvalidOperationException("This pack writer failed before and cannot be reused.");
        }
        try
        {
            if (_gatheredLength + bytes.Length > GatherSize)
            {
                WriteGathered();
            }
            if (bytes.Length >= GatherSize)
            {
                _stream.Write(bytes);
            }
            else
            {
                bytes.CopyTo(_gathered.AsSpan(_gatheredLength));
                _gatheredLength += bytes.Length;
            }
            _hash.AppendData(bytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Break();
            throw DurableFile.IoError("cannot write a pack", e);
        }
    }

    private void WriteGathered()
    {
        _stream.Write(_gathered.AsSpan(0, _gatheredLength));
        _gatheredLength = 0;
    }

    private void Break()
    {
        _broken = true;
        try
        {
            _stream.Dispose();
        }
        catch (IOException)
        {
            // Closing a file on a full disk can fail again; the file is deleted below either way.
        }
        DurableFile.TryDelete(_temporaryPath);
    }

    public void Dispose()
    {
        if (!_finished && !_broken)
        {
            Break();
        }
        _hash.Dispose();
        if (_gathered is not null)
        {
            ChunkBuffers.Pool.Return(_gathered);
            _gathered = null;
        }
    }
}
