using System.Security.Cryptography;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;

namespace Dupa.Core.Replication;

/// <summary>What a vault's owner offers a replica: its header, device keys, log lengths and packs.</summary>
public sealed record ReplicaManifest(string Header, IReadOnlyList<ReplicaDevice> Devices, IReadOnlyList<ReplicaLog> Logs, IReadOnlyList<ReplicaPack> Packs);

public sealed record ReplicaDevice(string Device, string PublicKey);

public sealed record ReplicaLog(string Device, long Length);

public sealed record ReplicaPack(string Hash, long Size);

/// <summary>
/// A replica's copy of a vault it cannot read (docs/protocol.md, Replicas; docs/adr/0004-replica-packs.md): the same
/// layout as the vault, filled only with bytes checked without the key. Device keys must hash to their IDs; log
/// bytes are kept only if every entry verifies (vault, device, sequence, chain, signature); packs only if their
/// content hashes to their name. The owner's side of the exchange (<see cref="Offer"/>) reads the vault's files
/// and needs no key either.
/// </summary>
public sealed class ReplicaCopy(string directory)
{
    public string Directory { get; } = Path.GetFullPath(directory);

    /// <summary>
    /// Per device: the log's length when this copy last verified it, and its last entry, so that the bytes appended
    /// next are checked as a continuation of that entry instead of with the whole log again. Re-reading the whole
    /// log at each pull made a replica's checks grow with the square of the log (a remote put of the corpus is 25
    /// pulls of a log that grows to megabytes). Used only while the file is still that long; stored bytes are
    /// checked again whole by <see cref="Verify"/> and <see cref="Repair"/>.
    /// </summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, (long Length, LogEntry Last)> _verifiedTails = new(StringComparer.Ordinal);

    /// <summary>What the vault at <paramref name="vaultDirectory"/> holds, for a replica to fetch (complete files only).</summary>
    public static ReplicaManifest Offer(string vaultDirectory)
    {
        var header = File.ReadAllBytes(Path.Combine(vaultDirectory, VaultHeader.FileName));
        var devices = System.IO.Directory.EnumerateFiles(Path.Combine(vaultDirectory, "devices"), "*.pub").Order(StringComparer.Ordinal)
            .Select(f => new ReplicaDevice(Path.GetFileNameWithoutExtension(f), Convert.ToBase64String(File.ReadAllBytes(f)))).ToList();
        var logs = System.IO.Directory.EnumerateFiles(Path.Combine(vaultDirectory, "logs"), "*.log").Order(StringComparer.Ordinal)
            .Select(f => new ReplicaLog(Path.GetFileNameWithoutExtension(f), new FileInfo(f).Length)).ToList();
        // Packs appear under their final name only once complete (written in packs/tmp, fsynced, renamed).
        var packsDirectory = Path.Combine(vaultDirectory, "packs");
        var packs = System.IO.Directory.EnumerateFiles(packsDirectory, "*.pack", SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(packsDirectory, f).StartsWith("tmp" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Select(f => new ReplicaPack(Path.GetFileNameWithoutExtension(f), new FileInfo(f).Length)).Where(p => IsHash(p.Hash)).OrderBy(p => p.Hash, StringComparer.Ordinal).ToList();
        return new ReplicaManifest(Convert.ToBase64String(header), devices, logs, packs);
    }

    /// <summary>The path of a file of the vault the owner may send: a log by device, a pack by hash; null for anything else.</summary>
    public static string? OfferedFile(string vaultDirectory, string kind, string name) => kind switch
    {
        "logs" when IsHash(name) => Path.Combine(vaultDirectory, "logs", name + ".log"),
        "packs" when IsHash(name) => Path.Combine(vaultDirectory, PackFormat.RelativePath(name)),
        _ => null,
    };

    /// <summary>Bytes of log or pack data the replica lacks, against the owner's manifest.</summary>
    public long BytesBehind(ReplicaManifest manifest) =>
        manifest.Logs.Sum(l => Math.Max(0, l.Length - LogLength(l.Device))) + manifest.Packs.Where(p => !HasPack(p.Hash)).Sum(p => p.Size);

    /// <summary>Stores the header and the device keys whose content hashes to their ID.</summary>
    public void AcceptHeaderAndDevices(ReplicaManifest manifest)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "logs"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "packs"));
        var header = Convert.FromBase64String(manifest.Header);
        var headerPath = Path.Combine(Directory, VaultHeader.FileName);
        if (File.Exists(headerPath) && VaultHeader.Decode(header).VaultId != VaultHeader.Read(Directory).VaultId)
        {
            throw new IntegrityException("vault header", "the peer sent the header of another vault");
        }
        if (!File.Exists(headerPath) || !File.ReadAllBytes(headerPath).AsSpan().SequenceEqual(header))
        {
            DurableFile.WriteAtomically(headerPath, header);
        }
        AcceptDevices(manifest);
    }

    /// <summary>Stores the device keys the copy lacks, each only if its content hashes to its ID.</summary>
    public void AcceptDevices(ReplicaManifest manifest)
    {
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "devices"));
        foreach (var device in manifest.Devices)
        {
            var key = Convert.FromBase64String(device.PublicKey);
            if (!IsHash(device.Device) || Convert.ToHexStringLower(SHA256.HashData(key)) != device.Device)
            {
                throw new IntegrityException($"device {device.Device[..Math.Min(12, device.Device.Length)]}", "the public key does not match its device ID");
            }
            try
            {
                // Parsed before it is stored: a file that hashes to its name but is no P-256 key would stop the vault opening.
                using var _ = DeviceKey.FromPublicKey(key);
            }
            catch (System.Security.Cryptography.CryptographicException e)
            {
                throw new IntegrityException($"device {device.Device[..12]}", "the public key is not an ECDSA P-256 key", e);
            }
            var path = Path.Combine(Directory, "devices", device.Device + ".pub");
            if (!File.Exists(path))
            {
                DurableFile.WriteAtomically(path, key);
            }
        }
    }

    public long LogLength(string device) => File.Exists(LogPath(device)) ? new FileInfo(LogPath(device)).Length : 0;

    /// <summary>
    /// Appends bytes the owner sent for a device's log, then keeps them only up to the last complete entry if every
    /// entry verifies; a forged, replayed or reordered entry makes the whole batch refused and the log as it was.
    /// </summary>
    public void AcceptLogBytes(string device, long offset, ReadOnlySpan<byte> bytes)
    {
        var path = LogPath(device);
        var before = LogLength(device);
        if (offset != before)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"log {device[..12]}: bytes from offset {offset}, but the replica holds {before}");
        }
        var publicKeyPath = Path.Combine(Directory, "devices", device + ".pub");
        if (!File.Exists(publicKeyPath))
        {
            throw new IntegrityException($"log {device[..12]}", "no public key for this device");
        }
        using var key = DeviceKey.FromPublicKey(File.ReadAllBytes(publicKeyPath));
        var vaultId = VaultHeader.Read(Directory).VaultIdBytes;
        // The new bytes are checked before they are written when the log's end is known (it is empty, or this copy
        // verified it up to here); otherwise they are appended and the whole log is read.
        LogEntry? after = null;
        var tailKnown = before == 0 || (_verifiedTails.TryGetValue(device, out var tail) && tail.Length == before && (after = tail.Last) is not null);
        _verifiedTails.TryRemove(device, out _);
        LogReadResult read;
        long complete;
        if (tailKnown)
        {
            read = LogFile.Parse(bytes, key, vaultId, after);
            if (read.Damage is { } damage)
            {
                throw damage;
            }
            complete = before + read.CompleteLength;
            // A torn tail (the owner was mid-append) is not kept: it is fetched whole next time.
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write);
            stream.Write(bytes[..(int)read.CompleteLength]);
            stream.Flush(flushToDisk: true);
        }
        else
        {
            using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }
            read = LogFile.Read(path, key, vaultId);
            if (read.Damage is { } damage)
            {
                Truncate(path, before);
                throw damage;
            }
            complete = read.CompleteLength;
            // A torn tail (the owner was mid-append) is cut off here and fetched whole next time.
            if (read.TornTailBytes > 0)
            {
                Truncate(path, read.CompleteLength);
            }
        }
        if ((read.Last ?? after) is { } last)
        {
            _verifiedTails[device] = (complete, last);
        }
    }

    public bool HasPack(string hash) => File.Exists(Path.Combine(Directory, PackFormat.RelativePath(hash)));

    /// <summary>Stores a pack from a stream if its content hashes to its name; otherwise stores nothing and throws.</summary>
    public async Task AcceptPackAsync(string hash, Stream content, CancellationToken cancellationToken)
    {
        if (!IsHash(hash))
        {
            throw new DupaException(ErrorCode.InvalidInput, "not a pack name");
        }
        var temporaryDirectory = Path.Combine(Directory, "packs", "tmp");
        System.IO.Directory.CreateDirectory(temporaryDirectory);
        var temporary = Path.Combine(temporaryDirectory, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + ".tmp");
        try
        {
            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    sha.AppendData(buffer.AsSpan(0, read));
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
                await file.FlushAsync(cancellationToken);
                file.Flush(flushToDisk: true);
            }
            if (Convert.ToHexStringLower(sha.GetHashAndReset()) != hash)
            {
                throw new IntegrityException($"pack {hash[..12]}", "the bytes received do not match the pack's hash");
            }
            var final = Path.Combine(Directory, PackFormat.RelativePath(hash));
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(final)!);
            File.Move(temporary, final, overwrite: true);
            DurableFile.SyncDirectory(Path.GetDirectoryName(final)!);
        }
        finally
        {
            DurableFile.TryDelete(temporary);
        }
    }

    /// <summary>Checks everything the replica holds without the key: device keys, every log entry, every pack's hash.</summary>
    public IReadOnlyList<string> Verify() => Check(repair: false);

    /// <summary>
    /// Repairs what <see cref="Verify"/> would report, so that the next pull fetches it again from the owner: a pack
    /// whose content does not match its name is removed; a log is cut back to its last entry that verifies; a damaged
    /// device key is removed. Returns what was repaired.
    /// </summary>
    public IReadOnlyList<string> Repair() => Check(repair: true);

    private List<string> Check(bool repair)
    {
        _verifiedTails.Clear();
        var found = new List<string>();
        var vaultId = VaultHeader.Read(Directory).VaultIdBytes;
        foreach (var pub in System.IO.Directory.EnumerateFiles(Path.Combine(Directory, "devices"), "*.pub"))
        {
            var hex = Path.GetFileNameWithoutExtension(pub);
            var bytes = File.ReadAllBytes(pub);
            if (Convert.ToHexStringLower(SHA256.HashData(bytes)) != hex)
            {
                if (repair)
                {
                    File.Delete(pub);
                }
                found.Add($"device {hex[..12]}: the public key does not match its ID{(repair ? "; removed" : "")}");
                continue;
            }
            using var key = DeviceKey.FromPublicKey(bytes);
            var read = LogFile.Read(LogPath(hex), key, vaultId);
            if (read.Damage is { } damage)
            {
                if (repair)
                {
                    Truncate(LogPath(hex), read.CompleteLength);
                }
                found.Add(repair ? $"log {hex[..12]}: cut back to entry {read.Entries.Count} ({damage.Message})" : damage.Message);
            }
        }
        foreach (var pack in System.IO.Directory.EnumerateFiles(Path.Combine(Directory, "packs"), "*.pack", SearchOption.AllDirectories))
        {
            var hash = Path.GetFileNameWithoutExtension(pack);
            bool altered;
            using (var stream = File.OpenRead(pack))
            {
                altered = Convert.ToHexStringLower(SHA256.HashData(stream)) != hash;
            }
            if (altered)
            {
                if (repair)
                {
                    File.Delete(pack);
                }
                found.Add($"pack {hash[..12]}: the content does not match its hash (altered on this replica){(repair ? "; removed, to be fetched again" : "")}");
            }
        }
        return found;
    }

    /// <summary>
    /// Packs the owner no longer has (its gc dropped them) are moved aside to <c>pruned/</c> after a complete pass,
    /// and deleted once they have been there for <paramref name="grace"/>. Nothing is pruned when the owner lists no
    /// packs at all, which is more likely a lost disk than a collected vault: the replica is the backup.
    /// </summary>
    public int Prune(ReplicaManifest manifest, DateTimeOffset now, TimeSpan grace)
    {
        var pruned = Path.Combine(Directory, "pruned");
        var moved = 0;
        if (manifest.Packs.Count > 0)
        {
            var kept = manifest.Packs.Select(p => p.Hash).ToHashSet(StringComparer.Ordinal);
            foreach (var pack in System.IO.Directory.EnumerateFiles(Path.Combine(Directory, "packs"), "*.pack", SearchOption.AllDirectories).ToList())
            {
                var hash = Path.GetFileNameWithoutExtension(pack);
                if (IsHash(hash) && !kept.Contains(hash))
                {
                    System.IO.Directory.CreateDirectory(pruned);
                    var aside = Path.Combine(pruned, hash + ".pack");
                    File.Move(pack, aside, overwrite: true);
                    File.SetLastWriteTimeUtc(aside, now.UtcDateTime);
                    moved++;
                }
            }
        }
        if (System.IO.Directory.Exists(pruned))
        {
            foreach (var old in System.IO.Directory.EnumerateFiles(pruned, "*.pack").Where(f => now.UtcDateTime - File.GetLastWriteTimeUtc(f) > grace).ToList())
            {
                File.Delete(old);
            }
        }
        return moved;
    }

    /// <summary>A device's log; the name must be a device ID (64 hex digits), so a peer's manifest cannot name a path elsewhere.</summary>
    private string LogPath(string device) =>
        IsHash(device) ? Path.Combine(Directory, "logs", device + ".log") : throw new IntegrityException("manifest", "a log named by something other than a device ID");

    /// <summary>Cuts a device's log back to <paramref name="length"/> bytes: what a member does with entries it could not open.</summary>
    public void TruncateLog(string device, long length)
    {
        _verifiedTails.TryRemove(device, out _);
        Truncate(LogPath(device), length);
    }

    private static void Truncate(string path, long length)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Write);
        stream.SetLength(length);
        stream.Flush(flushToDisk: true);
    }

    private static bool IsHash(string name) => name.Length == 64 && name.All(char.IsAsciiHexDigitLower);
}
