using System.Buffers.Binary;
using System.Security.Cryptography;
using Dupa.Core.Errors;
using Dupa.Core.Files;

namespace Dupa.Node.Uploads;

/// <summary>A resumable upload in progress.</summary>
public sealed class UploadSession
{
    internal UploadSession(string id, string userId, string vaultId, string path, long length, DateTimeOffset modified, DateTimeOffset expires, string partFile)
    {
        Id = id;
        UserId = userId;
        VaultId = vaultId;
        Path = path;
        Length = length;
        Modified = modified;
        Expires = expires;
        PartFile = partFile;
    }

    public string Id { get; }
    public string UserId { get; }
    public string VaultId { get; }
    public string Path { get; }
    public long Length { get; }
    public DateTimeOffset Modified { get; }
    public DateTimeOffset Expires { get; }
    public long Offset { get; internal set; }
    internal string PartFile { get; }
    internal byte[] Key { get; } = RandomNumberGenerator.GetBytes(32);
    internal SemaphoreSlim Gate { get; } = new(1, 1);
}

/// <summary>
/// Resumable uploads (after the tus protocol's core: create, ask the offset, append from it). Received bytes are
/// kept in a part file sealed with AES-256-GCM under a key that exists only in memory, so a stopped node's disk
/// never holds plaintext; the price is that sessions end when the node restarts (their part files are deleted).
/// The part file is a sequence of segments: length(4) || nonce(12) || ciphertext || tag(16), at most 1 MiB each,
/// with the segment index as associated data so segments cannot be reordered.
/// </summary>
public sealed class UploadSessions
{
    private const int SegmentSize = 1024 * 1024;
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(24);

    private readonly Dictionary<string, UploadSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly string _directory;
    private readonly TimeProvider _time;

    public UploadSessions(NodeOptions options, TimeProvider time)
    {
        _time = time;
        _directory = System.IO.Path.Combine(options.Data, "uploads");
        if (Directory.Exists(_directory))
        {
            // Their keys died with the last process: nothing in them can be read or resumed.
            Directory.Delete(_directory, recursive: true);
        }
        Directory.CreateDirectory(_directory);
    }

    public UploadSession Create(string userId, string vaultId, string path, long length, DateTimeOffset modified)
    {
        path = VaultPath.Parse(path);
        if (length < 0)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the upload length must be zero or more bytes");
        }
        ExpireOld();
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        var session = new UploadSession(id, userId, vaultId, path, length, modified, _time.GetUtcNow() + Lifetime, System.IO.Path.Combine(_directory, id + ".part"));
        File.WriteAllBytes(session.PartFile, []);
        lock (_gate)
        {
            _sessions[id] = session;
        }
        return session;
    }

    public UploadSession Get(string userId, string vaultId, string id)
    {
        lock (_gate)
        {
            return _sessions.TryGetValue(id, out var session) && session.UserId == userId && session.VaultId == vaultId && session.Expires > _time.GetUtcNow()
                ? session
                : throw new DupaException(ErrorCode.NotFound, "no such upload (it may have expired, or the node restarted)");
        }
    }

    /// <summary>
    /// Appends the body at <paramref name="offset"/>, which must be where the upload stands. Whatever arrives
    /// before a dropped connection is kept, so the client resumes from the new offset.
    /// </summary>
    public static async Task AppendAsync(UploadSession session, long offset, Stream body, CancellationToken cancellationToken)
    {
        await session.Gate.WaitAsync(cancellationToken);
        try
        {
            if (offset != session.Offset)
            {
                throw new DupaException(ErrorCode.InvalidInput, $"the upload stands at offset {session.Offset}, not {offset}");
            }
            await using var part = new FileStream(session.PartFile, FileMode.Append, FileAccess.Write, FileShare.None);
            await ReceiveAsync(session, part, body, ErrorCode.InvalidInput, "more bytes than the upload's declared length", keepOnDrop: true, cancellationToken);
        }
        finally
        {
            session.Gate.Release();
        }
    }

    /// <summary>
    /// Receives a whole body of at most <paramref name="limit"/> bytes into a sealed part file, before anything takes
    /// the vault's turn, so a slow sender (an anonymous file drop) holds no lock while it trickles. Unlike an append,
    /// a dropped connection is an error and nothing of it is kept. Store it with <see cref="OpenReceived"/>, then
    /// <see cref="Remove"/> it.
    /// </summary>
    public async Task<UploadSession> ReceiveWholeAsync(string vaultId, Stream body, long limit, string tooLarge, CancellationToken cancellationToken)
    {
        var session = Create("", vaultId, "/", limit, _time.GetUtcNow());
        try
        {
            await using var part = new FileStream(session.PartFile, FileMode.Append, FileAccess.Write, FileShare.None);
            await ReceiveAsync(session, part, body, ErrorCode.QuotaExceeded, tooLarge, keepOnDrop: false, cancellationToken);
            return session;
        }
        catch
        {
            Remove(session);
            throw;
        }
    }

    /// <summary>Reads the body into sealed segments, up to the session's length; a drop either keeps what arrived or throws.</summary>
    private static async Task ReceiveAsync(UploadSession session, FileStream part, Stream body, ErrorCode tooMany, string tooManyMessage, bool keepOnDrop, CancellationToken cancellationToken)
    {
        var buffer = new byte[SegmentSize];
        var filled = 0;
        try
        {
            int n;
            while ((n = await body.ReadAsync(buffer.AsMemory(filled), keepOnDrop ? CancellationToken.None : cancellationToken)) > 0)
            {
                filled += n;
                if (session.Offset + filled > session.Length)
                {
                    throw new DupaException(tooMany, tooManyMessage);
                }
                if (filled == buffer.Length)
                {
                    WriteSegment(session, part, buffer.AsSpan(0, filled));
                    filled = 0;
                }
            }
        }
        catch (Exception e) when (keepOnDrop && e is IOException or OperationCanceledException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            // The connection dropped: keep what arrived.
        }
        finally
        {
            if (filled > 0 && session.Offset + filled <= session.Length)
            {
                WriteSegment(session, part, buffer.AsSpan(0, filled));
            }
            await part.FlushAsync(CancellationToken.None);
        }
    }

    /// <summary>
    /// The offset once any append still in flight (say, from a connection that just dropped) has finished, so a
    /// client that resumes from it never races its own previous request.
    /// </summary>
    public static async Task<long> SettledOffsetAsync(UploadSession session, CancellationToken cancellationToken)
    {
        await session.Gate.WaitAsync(cancellationToken);
        session.Gate.Release();
        return session.Offset;
    }

    /// <summary>The received plaintext, decrypted segment by segment as it is read.</summary>
    public static Stream OpenReceived(UploadSession session) => new SegmentReader(session);

    public void Remove(UploadSession session)
    {
        lock (_gate)
        {
            _sessions.Remove(session.Id);
        }
        DurableFile.TryDelete(session.PartFile);
    }

    private static void WriteSegment(UploadSession session, FileStream part, ReadOnlySpan<byte> plaintext)
    {
        var segment = new byte[4 + 12 + plaintext.Length + 16];
        BinaryPrimitives.WriteInt32LittleEndian(segment, plaintext.Length);
        RandomNumberGenerator.Fill(segment.AsSpan(4, 12));
        using var aes = new AesGcm(session.Key, 16);
        aes.Encrypt(segment.AsSpan(4, 12), plaintext, segment.AsSpan(16, plaintext.Length), segment.AsSpan(16 + plaintext.Length), SegmentAd(session.Offset));
        part.Write(segment);
        session.Offset += plaintext.Length;
    }

    private static byte[] SegmentAd(long plaintextOffset)
    {
        var ad = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(ad, plaintextOffset);
        return ad;
    }

    private void ExpireOld()
    {
        List<UploadSession> expired;
        lock (_gate)
        {
            expired = _sessions.Values.Where(s => s.Expires <= _time.GetUtcNow()).ToList();
        }
        foreach (var session in expired)
        {
            Remove(session);
        }
    }

    /// <summary>Reads the part file's segments back as one plaintext stream.</summary>
    private sealed class SegmentReader(UploadSession session) : Stream
    {
        private readonly FileStream _part = new(session.PartFile, FileMode.Open, FileAccess.Read, FileShare.Read);
        private byte[] _plain = [];
        private int _position;
        private long _offset;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position == _plain.Length && !NextSegment())
            {
                return 0;
            }
            var n = Math.Min(buffer.Length, _plain.Length - _position);
            _plain.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        private bool NextSegment()
        {
            Span<byte> length = stackalloc byte[4];
            if (_part.Read(length) < 4)
            {
                return false;
            }
            var size = BinaryPrimitives.ReadInt32LittleEndian(length);
            var segment = new byte[12 + size + 16];
            _part.ReadExactly(segment);
            _plain = new byte[size];
            using var aes = new AesGcm(session.Key, 16);
            aes.Decrypt(segment.AsSpan(0, 12), segment.AsSpan(12, size), segment.AsSpan(12 + size), _plain, SegmentAd(_offset));
            _offset += size;
            _position = 0;
            return true;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _part.Dispose();
            base.Dispose(disposing);
        }
    }
}
