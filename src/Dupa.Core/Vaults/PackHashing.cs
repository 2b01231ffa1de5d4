using System.Security.Cryptography;
using Dupa.Core.Native;

namespace Dupa.Core.Vaults;

/// <summary>
/// Pack hashes taken on a background thread before the vault is open, for <see cref="Verifier"/>. A pack's SHA-256
/// needs no key, while opening the vault (Argon2id, then reading and folding the logs) keeps one core busy for about
/// half a second: time in which the other core reads and hashes several hundred MiB of packs. Each pack is hashed
/// once, by whichever claims it first, this thread or a verify worker; a verify worker then only opens the chunks of
/// a pack hashed here, reading it a second time from the page cache.
/// </summary>
public sealed class PackHashing : IDisposable
{
    private const int Free = 0, HashedAhead = 1, HashedByVerify = 2;

    private readonly Dictionary<string, Slot> _slots = new(StringComparer.Ordinal);
    private readonly List<(string Hash, string Path)> _order = [];
    private volatile bool _stopped;
    private Thread? _thread;

    private PackHashing(string vaultDirectory)
    {
        var packs = Path.Combine(vaultDirectory, "packs");
        if (!Directory.Exists(packs))
        {
            return;
        }
        foreach (var file in Directory.EnumerateFiles(packs, "*.pack", SearchOption.AllDirectories))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name.Length == 64 && _slots.TryAdd(name, new Slot()))
            {
                _order.Add((name, file));
            }
        }
        // The order the verify workers take packs in (the index lists them by hash), so that they find the first
        // packs hashed and in the page cache.
        _order.Sort((a, b) => string.CompareOrdinal(a.Hash, b.Hash));
    }

    /// <summary>
    /// Starts hashing the pack files under <paramref name="vaultDirectory"/> on a background thread. A directory
    /// that holds no vault gives nothing to hash; opening the vault reports it.
    /// </summary>
    public static PackHashing Start(string vaultDirectory)
    {
        var hashing = new PackHashing(vaultDirectory);
        if (hashing._order.Count > 0)
        {
            var thread = new Thread(hashing.HashAll) { IsBackground = true, Name = "dupa pack hashing" };
            thread.Start();
            hashing._thread = thread;
        }
        return hashing;
    }

    /// <summary>Waits until the background thread has stopped (every pack hashed, or <see cref="Stop"/>); for tests.</summary>
    internal void WaitForTesting() => _thread?.Join();

    /// <summary>Claims no more packs; the one being hashed is finished. Verify calls it when its own workers start.</summary>
    public void Stop() => _stopped = true;

    public void Dispose() => Stop();

    /// <summary>
    /// For a verify worker: null when the pack is the worker's to hash (this thread never claimed it), otherwise
    /// the hash taken or being taken here, to wait for.
    /// </summary>
    internal Task<AheadHash>? Take(string hash) =>
        !_slots.TryGetValue(hash, out var slot) || Interlocked.CompareExchange(ref slot.State, HashedByVerify, Free) == Free
            ? null
            : slot.Result.Task;

    private void HashAll()
    {
        var buffer = new byte[1 << 20];
        for (var i = 0; i < _order.Count; i++)
        {
            var (hash, path) = _order[i];
            if (_stopped)
            {
                return;
            }
            var slot = _slots[hash];
            if (Interlocked.CompareExchange(ref slot.State, HashedAhead, Free) != Free)
            {
                continue;
            }
            if (i + 1 < _order.Count)
            {
                // The next pack comes off the disk while this one is hashed: with a cold page cache this thread
                // otherwise waited for the disk about half the time.
                ReadAhead(_order[i + 1].Path);
            }
            try
            {
                slot.Result.SetResult(Hash(path, buffer));
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                slot.Result.SetResult(new AheadHash(0, null, null));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                slot.Result.SetResult(new AheadHash(0, null, e.Message));
            }
            catch (Exception e)
            {
                // Unexpected: the verify worker waiting for this pack rethrows it.
                slot.Result.SetException(e);
            }
        }
    }

    private static void ReadAhead(string path)
    {
        try
        {
            using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            Posix.WillNeed(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only a hint: hashing the file reports what is wrong with it.
        }
    }

    private static AheadHash Hash(string path, byte[] buffer)
    {
        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long position = 0;
        int n;
        while ((n = RandomAccess.Read(handle, buffer, position)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            position += n;
        }
        return new AheadHash(position, Convert.ToHexStringLower(sha.GetHashAndReset()), null);
    }

    private sealed class Slot
    {
        public int State;

        public readonly TaskCompletionSource<AheadHash> Result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>A pack hashed ahead: its length and hex SHA-256; <see cref="Sha"/> null when the file was missing or could not be read (<see cref="ReadError"/>).</summary>
internal readonly record struct AheadHash(long Length, string? Sha, string? ReadError);
