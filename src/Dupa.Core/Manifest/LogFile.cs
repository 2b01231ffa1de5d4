using System.Buffers.Binary;
using System.Security.Cryptography;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Files;

namespace Dupa.Core.Manifest;

/// <summary>What reading one device's log found.</summary>
public sealed record LogReadResult(DeviceId Device, IReadOnlyList<LogEntry> Entries, long CompleteLength, long TornTailBytes, IntegrityException? Damage)
{
    public LogEntry? Last => Entries.Count > 0 ? Entries[^1] : null;
}

/// <summary>
/// What an open vault keeps of a device's log once its entries are decoded: the last entry, which the next ones
/// pulled from that device must follow, and the log's lengths. Not every entry: each holds its sealed bytes, 5.4 MB
/// for the logs of a 20,000-file vault, which nothing reads again once the entries are folded.
/// </summary>
public sealed record LogSummary(DeviceId Device, LogEntry? Last, long CompleteLength, long TornTailBytes)
{
    public static LogSummary Of(LogReadResult read) => new(read.Device, read.Last, read.CompleteLength, read.TornTailBytes);
}

/// <summary>
/// One device's append-only log file: frames of length(4) || entry (docs/format.md, Logs). Reading checks every
/// entry's structure, vault, device, sequence, chain and signature, and stops at the first bad one.
/// </summary>
public static class LogFile
{
    public static string RelativePath(DeviceId device) => Path.Combine("logs", device.Hex + ".log");

    public static LogReadResult Read(string path, DeviceKey publicKey, ReadOnlySpan<byte> vaultId)
    {
        byte[] content;
        try
        {
            content = File.Exists(path) ? File.ReadAllBytes(path) : [];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DurableFile.IoError($"cannot read log {publicKey.Id.Hex[..12]}", e);
        }
        return Parse(content, publicKey, vaultId, after: null);
    }

    /// <summary>
    /// Checks frames of a device's log that continue it after <paramref name="after"/> (null: from its start), as
    /// <see cref="Read"/> does; the result holds only these entries, and lengths count from the start of
    /// <paramref name="content"/>.
    /// </summary>
    public static LogReadResult Parse(ReadOnlySpan<byte> content, DeviceKey publicKey, ReadOnlySpan<byte> vaultId, LogEntry? after)
    {
        var device = publicKey.Id;
        var name = $"log {device.Hex[..12]}";
        var entries = new List<LogEntry>();
        var offset = 0;
        var previous = after;
        while (offset < content.Length)
        {
            var remaining = content.Length - offset;
            if (remaining < 4)
            {
                return new LogReadResult(device, entries, offset, remaining, null);
            }
            var sequence = (previous?.Sequence ?? 0) + 1;
            var where = $"{name} entry {sequence}";
            var length = BinaryPrimitives.ReadInt32LittleEndian(content[offset..]);
            if (length <= LogEntry.HeaderSize || length > LogEntry.MaxSize)
            {
                return Damaged(where, "bad frame length");
            }
            if (remaining - 4 < length)
            {
                // A frame cut short at the very end: an append that a crash interrupted.
                return new LogReadResult(device, entries, offset, remaining, null);
            }
            LogEntry entry;
            try
            {
                entry = LogEntry.Parse(content.Slice(offset + 4, length).ToArray(), where);
            }
            catch (IntegrityException e)
            {
                return new LogReadResult(device, entries, offset, 0, e);
            }
            if (!entry.VaultId.AsSpan().SequenceEqual(vaultId) || entry.Device != device)
            {
                return Damaged(where, "the entry belongs to another vault or device");
            }
            if (entry.Sequence != sequence)
            {
                return Damaged(where, $"sequence {entry.Sequence} out of order (replayed or reordered entry)");
            }
            if (!CryptographicOperations.FixedTimeEquals(entry.PreviousHash, previous?.Hash ?? new byte[32]))
            {
                return Damaged(where, "the hash chain is broken");
            }
            if (!entry.VerifySignature(publicKey))
            {
                return Damaged(where, "the signature does not verify");
            }
            if (previous is not null && entry.Clock <= previous.Clock)
            {
                return Damaged(where, "the clock went backwards");
            }
            entries.Add(entry);
            previous = entry;
            offset += 4 + length;
        }
        return new LogReadResult(device, entries, offset, 0, null);

        LogReadResult Damaged(string where, string why) => new(device, entries, offset, 0, new IntegrityException(where, why));
    }

    /// <summary>
    /// Appends entries after the last complete one (cutting off a torn tail left by a crash) and fsyncs.
    /// Returns the new length of the log.
    /// </summary>
    public static long Append(string path, long completeLength, IReadOnlyList<LogEntry> entries)
    {
        var created = !File.Exists(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DurableFile.IoError("cannot append to the log", e);
        }
        try
        {
            if (stream.Length != completeLength)
            {
                stream.SetLength(completeLength);
            }
            stream.Position = completeLength;
            Span<byte> length = stackalloc byte[4];
            foreach (var entry in entries)
            {
                BinaryPrimitives.WriteInt32LittleEndian(length, entry.Bytes.Length);
                stream.Write(length);
                stream.Write(entry.Bytes);
            }
            stream.Flush(flushToDisk: true);
            if (created)
            {
                DurableFile.SyncDirectory(Path.GetDirectoryName(path)!);
            }
            return stream.Length;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Leave no partial frame behind (a full disk): cut back to the last committed entry if we can.
            try
            {
                stream.SetLength(completeLength);
            }
            catch (IOException)
            {
                // The next writer cuts the torn tail instead.
            }
            throw DurableFile.IoError("cannot append to the log", e);
        }
        finally
        {
            try
            {
                stream.Dispose();
            }
            catch (IOException)
            {
                // Closing can fail again on a full disk; what matters was fsynced or is cut above.
            }
        }
    }
}
