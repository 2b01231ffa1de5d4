using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;
using System.Security.Cryptography;
using System.Text.Json;
using Dupa.Core.Chunking;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Index;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;

namespace Dupa.Core.Vaults;

/// <summary>
/// An unlocked vault: its keys, index, chunk store, logs and folded state. Any number of readers (in this and
/// other processes) may open a vault while one writer, holding the lock file, appends. Operations on a vault
/// (put, get, trash, verify) are their own classes that take a <see cref="Vault"/>.
/// </summary>
public sealed partial class Vault : IDisposable
{
    internal const string LockFileName = "lock";

    /// <summary>Present while the index is being rebuilt (docs/format.md, Directory layout).</summary>
    internal const string RebuildMarkerName = "index.rebuilding";
    public const string DeviceKeyFileName = "device.key";
    private static ReadOnlySpan<byte> DeviceKeyAd => "dupa/v1/device-key"u8;

    private List<FoldEntry>? _entries;
    private readonly Dictionary<DeviceId, long> _heads;
    private readonly VaultOpenOptions _options;
    private readonly FileStream? _lock;
    private Task<VaultState>? _folding;
    private VaultState? _state;
    private LogHead _ownHead;
    private long _lastCheckpointSequence;
    private FastCdc? _chunker;
    // The entry begun by BeginAppend and not yet taken in by EndAppend: until then nothing else may append.
    private PendingAppend? _appending;

    private Vault(string directory, VaultHeader header, KeyRing keys, VaultIndex index, DeviceKey? device, FileStream? lockFile, VaultOpenOptions options, LoadedLogs logs)
    {
        Directory = directory;
        Header = header;
        Keys = keys;
        Index = index;
        Device = device;
        _lock = lockFile;
        _options = options;
        Codec = new ChunkCodec(keys, () => Header.Epoch);
        Chunks = new ChunkStore(directory, index, Codec, header.PackSize);
        Logs = [.. logs.Results.Select(LogSummary.Of)];
        LogDamage = logs.Damage;
        _entries = logs.Entries;
        _heads = logs.Heads;
        // The fold runs beside what the caller does next until it needs the state: put looks up the files it walked
        // in the index meanwhile (0.1-0.15 s each for 20,000 files).
        _folding = logs.Folding ?? FoldLater([.. _entries]);
        _lastCheckpointSequence = logs.Entries.Where(e => e.Device == device?.Id && e.Ops.Any(o => o is CheckpointOp)).Select(e => e.Sequence).DefaultIfEmpty(0).Max();
        if (device is not null && logs.Results.FirstOrDefault(r => r.Device == device.Id) is { } own)
        {
            _ownHead = own.Last is { } last ? new LogHead(last.Sequence, last.Hash, own.CompleteLength) : new LogHead(0, new byte[32], 0);
        }
    }

    /// <summary>Folds a copy of the entries on the thread pool (the list goes on growing as this vault writes).</summary>
    private static Task<VaultState> FoldLater(FoldEntry[] entries) => Task.Run(() => VaultState.Fold(entries));

    public string Directory { get; }

    public VaultHeader Header { get; private set; }

    internal KeyRing Keys { get; }

    public VaultIndex Index { get; }

    public ChunkCodec Codec { get; }

    public ChunkStore Chunks { get; }

    /// <summary>The vault's chunker: its parameters from the header, its gear table from the vault key.</summary>
    public FastCdc Chunker => _chunker ??= new FastCdc(Header.Chunker.ToParameters(), GearTable.Derive(Keys.ChunkerSeed));

    /// <summary>This installation's device, or null where the vault holds no device key (read-only).</summary>
    public DeviceKey? Device { get; }

    public bool IsWritable => _lock is not null;

    public TimeProvider Time => _options.Time;

    /// <summary>
    /// The current state, folded from every log (read and folded again after <see cref="ReleaseState"/>). The fold
    /// started by an open or a reread is dropped once its state is taken or replaced: it held that state after a pull
    /// had folded a new one, a second copy for as long as the vault stayed open.
    /// </summary>
    public VaultState State
    {
        get
        {
            if (_state is null)
            {
                if (_folding is null && _entries is null)
                {
                    ReadLogsAgain(fold: true);
                }
                State = _folding?.GetAwaiter().GetResult() ?? VaultState.Fold(LoadedEntries);
            }
            return _state!;
        }
        private set
        {
            _state = value;
            _folding = null;
        }
    }

    /// <summary>Whether the state is folded and held (false after <see cref="ReleaseState"/>, until it is used again).</summary>
    public bool HoldsState => _state is not null || _folding is not null;

    /// <summary>
    /// Lets go of the folded state and the decoded entries, for a process that keeps the vault open while nothing uses
    /// it (an idle node). The next use reads and opens the logs again (as <see cref="Open"/> does, with the same checks)
    /// and folds the state again from them, which it always equals. For the benchmark corpus's vault (20,274 files)
    /// the state and the entries are 17 of the open vault's 17.7 MB of managed memory, and reading and folding them
    /// again takes 130–250 ms. Nothing is let go while a fold started at the open is running or an entry is being
    /// appended.
    /// </summary>
    public void ReleaseState()
    {
        if (_folding is { IsCompleted: false } || _appending is not null)
        {
            return;
        }
        _folding = null;
        _state = null;
        _entries = null;
    }

    /// <summary>The decoded entries, read from the logs again after <see cref="ReleaseState"/>.</summary>
    private List<FoldEntry> LoadedEntries => _entries ?? ReadLogsAgain(fold: false);

    /// <summary>Reads and opens every log again, as <see cref="Open"/> does and with its checks; <paramref name="fold"/>: folding the state as they open.</summary>
    private List<FoldEntry> ReadLogsAgain(bool fold)
    {
        var logs = LoadedLogs.Load(Directory, Header, Keys, Index, fold);
        if (logs.Damage.Count > 0 && !_options.TolerateDamage)
        {
            throw logs.Damage[0];
        }
        if (fold)
        {
            _folding = logs.Folding;
        }
        return _entries = logs.Entries;
    }

    /// <summary>How many entries this vault has taken in since it was opened (written or pulled): what the state is as of, without reading it.</summary>
    public int EntriesTaken { get; private set; }

    /// <summary>Every decoded entry, for folds at another time and for verify.</summary>
    public IReadOnlyList<FoldEntry> Entries => LoadedEntries;

    /// <summary>Each device's log as it was read (at open, or when a pulled part was accepted).</summary>
    public IReadOnlyList<LogSummary> Logs { get; private set; }

    /// <summary>Damage found while reading logs; empty unless opened with <see cref="VaultOpenOptions.TolerateDamage"/>.</summary>
    public IReadOnlyList<IntegrityException> LogDamage { get; }

    /// <summary>
    /// The state as it was at <paramref name="time"/>, less what the vault no longer keeps: versions forgotten or
    /// purged since are gone, and a file whose version at that time is gone is not shown.
    /// </summary>
    public VaultState StateAt(DateTimeOffset time)
    {
        var past = VaultState.Fold(LoadedEntries, time);
        past.KeepOnly(State.VersionRefs.ToHashSet());
        return past;
    }

    /// <summary>The state after folding exactly the entries up to the given sequence of each device.</summary>
    public VaultState StateAtHeads(IReadOnlyDictionary<string, long> heads) =>
        VaultState.Fold(LoadedEntries.Where(e => heads.TryGetValue(e.Device.Hex, out var max) && e.Sequence <= max));

    public static Vault Open(string directory, VaultSecret secret, VaultOpenOptions? options = null)
    {
        options ??= new VaultOpenOptions();
        directory = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(directory))
        {
            throw new DupaException(ErrorCode.NotFound, $"no vault at '{directory}' (the directory does not exist); create one with 'dupa init'");
        }
        var header = VaultHeader.Read(directory);
        var keys = VaultKeys.Unlock(header, secret);
        FileStream? lockFile = null;
        VaultIndex? index = null;
        DeviceKey? device = null;
        try
        {
            var rebuildMarker = Path.Combine(directory, RebuildMarkerName);
            var interrupted = File.Exists(rebuildMarker);
            if (options.Writable)
            {
                lockFile = AcquireLock(directory);
                CleanTemporaryFiles(directory);
                if (options.DiscardIndex || interrupted)
                {
                    // The marker goes first and stays until the rebuild ends: a crash in between leaves a vault whose
                    // next writable open rebuilds again, never an index that lacks packs without saying so.
                    DurableFile.WriteAtomically(rebuildMarker, []);
                    foreach (var suffix in new[] { "", "-wal", "-shm" })
                    {
                        DurableFile.TryDelete(Path.Combine(directory, VaultIndex.FileName + suffix));
                    }
                }
            }
            else if (interrupted)
            {
                throw new DupaException(ErrorCode.Integrity, "the vault's index is incomplete (a rebuild was interrupted); run 'dupa index rebuild', or open the vault for writing, which rebuilds it");
            }
            device = LoadDevice(directory, keys);
            index = VaultIndex.Open(directory, readOnly: !options.Writable);
            var logs = LoadedLogs.Load(directory, header, keys, index);
            if (logs.Damage.Count > 0 && !options.TolerateDamage)
            {
                throw logs.Damage[0];
            }
            if (options.Writable && device is not null)
            {
                // Catch the index up with entries appended just before a crash.
                var own = logs.Results.FirstOrDefault(r => r.Device == device.Id);
                if (own?.Last is { } last && logs.Damage.Count == 0)
                {
                    index.SetLogHead(device.Id, new LogHead(last.Sequence, last.Hash, own.CompleteLength));
                }
            }
            var vault = new Vault(directory, header, keys, index, device, lockFile, options, logs);
            if (interrupted && !options.DiscardIndex)
            {
                // Finish the rebuild that was cut short; a caller that asked for one runs it itself.
                Dupa.Core.Index.IndexRebuilder.Rebuild(vault);
            }
            return vault;
        }
        catch
        {
            index?.Dispose();
            device?.Dispose();
            lockFile?.Dispose();
            keys.Dispose();
            throw;
        }
    }

    /// <summary>Throws <see cref="ErrorCode.WrongPassphrase"/> unless the secret opens the vault; opens nothing.</summary>
    public static void CheckSecret(string directory, VaultSecret secret) =>
        VaultKeys.Unlock(VaultHeader.Read(Path.GetFullPath(directory)), secret).Dispose();

    private static FileStream AcquireLock(string directory)
    {
        try
        {
            // FileShare.None takes an exclusive flock on Unix; the kernel drops it when the process dies.
            return new FileStream(Path.Combine(directory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e)
        {
            throw new DupaException(ErrorCode.Locked, "the vault is in use by another dupa process (it holds the write lock); try again when it ends", e, isTransient: true);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DupaException(ErrorCode.Io, $"cannot lock the vault: {e.Message}", e);
        }
    }

    private static void CleanTemporaryFiles(string directory)
    {
        var temporary = Path.Combine(directory, "packs", "tmp");
        if (System.IO.Directory.Exists(temporary))
        {
            foreach (var file in System.IO.Directory.EnumerateFiles(temporary))
            {
                DurableFile.TryDelete(file);
            }
        }
    }

    private static DeviceKey? LoadDevice(string directory, KeyRing keys)
    {
        var path = Path.Combine(directory, DeviceKeyFileName);
        if (!File.Exists(path))
        {
            return null;
        }
        var sealedKey = File.ReadAllBytes(path);
        if (sealedKey.Length < 12 + 16 + 1)
        {
            throw new IntegrityException("device key", "the device key file is truncated");
        }
        var pkcs8 = new byte[sealedKey.Length - 28];
        try
        {
            using var aes = new AesGcm(keys.DeviceSeal, 16);
            aes.Decrypt(sealedKey.AsSpan(0, 12), sealedKey.AsSpan(12, pkcs8.Length), sealedKey.AsSpan(12 + pkcs8.Length), pkcs8, DeviceKeyAd);
            return DeviceKey.FromPrivateKey(pkcs8);
        }
        catch (Exception e) when (e is CryptographicException)
        {
            throw new IntegrityException("device key", "the device key failed authentication", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(pkcs8);
        }
    }

    internal static byte[] SealDeviceKey(DeviceKey device, KeyRing keys)
    {
        var pkcs8 = device.ExportPrivateKey();
        var sealedKey = new byte[12 + pkcs8.Length + 16];
        RandomNumberGenerator.Fill(sealedKey.AsSpan(0, 12));
        using (var aes = new AesGcm(keys.DeviceSeal, 16))
        {
            aes.Encrypt(sealedKey.AsSpan(0, 12), pkcs8, sealedKey.AsSpan(12, pkcs8.Length), sealedKey.AsSpan(12 + pkcs8.Length), DeviceKeyAd);
        }
        CryptographicOperations.ZeroMemory(pkcs8);
        return sealedKey;
    }

    /// <summary>
    /// Appends one entry holding <paramref name="ops"/> to this device's log: the open pack is made durable
    /// first, then the entry is written and fsynced, then the index records the new head. Returns the ref of
    /// each operation.
    /// </summary>
    public IReadOnlyList<OpRef> Append(IReadOnlyList<Operation> ops)
    {
        CheckAppendable(ops);
        Chunks.Flush();
        var entry = AppendEntry(ops, long.MaxValue);
        AppendCheckpointIfDue(entry.Sequence);
        return RefsOf(entry.Sequence, ops.Count);
    }

    /// <summary>
    /// <see cref="Append"/> without waiting for the disk: the entry is made now, and written, on the thread pool, once
    /// the packs holding every chunk added so far are durable (<see cref="ChunkStore.BeginFlush"/>); then, if the index
    /// recorded it, <paramref name="whenWritten"/> is called there with the refs. The caller meanwhile adds the chunks
    /// of its next batch, which go into new packs, and calls <see cref="EndAppend"/> before anything else appends (an
    /// append in between throws; the state does not hold the entry until then). A put of many small files had waited
    /// for 20 such commits, each a few fsyncs: its first put of 20,000 files took 0.88x the time with one commit at the
    /// end instead (6 pairs).
    /// </summary>
    public void BeginAppend(IReadOnlyList<Operation> ops, Action<IReadOnlyList<OpRef>>? whenWritten = null)
    {
        CheckAppendable(ops);
        var (durable, mark) = Chunks.BeginFlush();
        var entry = MakeEntry(ops);
        var refs = RefsOf(entry.Entry.Sequence, ops.Count);
        var writing = Task.Run<WrittenEntry>(async () =>
        {
            await durable;
            var written = WriteEntry(entry.Entry, mark);
            try
            {
                if (written.IndexFailure is null)
                {
                    whenWritten?.Invoke(refs);
                }
                return written;
            }
            catch (Exception e)
            {
                // The entry is written all the same: EndAppend takes it in, then throws this.
                return written with { AfterFailure = ExceptionDispatchInfo.Capture(e) };
            }
        });
        _appending = new PendingAppend(entry, refs, writing);
    }

    /// <summary>
    /// Waits for the entry begun by <see cref="BeginAppend"/>, if any, and takes it into the state; returns its refs
    /// (none when no entry was begun). Throws what made the packs or the entry fail to be written (the entry is then not
    /// in the log, and its packs are not part of the vault until a later entry refers to them); or, once the entry is
    /// written and this vault has moved its head past it, what made the index fail to record it (the next writable
    /// open catches up) or what the callback threw.
    /// </summary>
    public IReadOnlyList<OpRef> EndAppend()
    {
        if (_appending is not { } pending)
        {
            return [];
        }
        WrittenEntry written;
        try
        {
            written = pending.Writing.GetAwaiter().GetResult();
        }
        finally
        {
            _appending = null;
        }
        Keep(pending.Entry, written);
        written.AfterFailure?.Throw();
        AppendCheckpointIfDue(pending.Entry.Entry.Sequence);
        return pending.Refs;
    }

    private void CheckAppendable(IReadOnlyList<Operation> ops)
    {
        if (!IsWritable || Device is null)
        {
            throw new InvalidOperationException("The vault was opened read-only.");
        }
        ArgumentOutOfRangeException.ThrowIfZero(ops.Count);
        ThrowIfAppending();
    }

    private void ThrowIfAppending()
    {
        if (_appending is not null)
        {
            throw new InvalidOperationException("An entry begun by BeginAppend is still being appended: end it first.");
        }
    }

    private List<OpRef> RefsOf(long sequence, int count) => [.. Enumerable.Range(0, count).Select(i => new OpRef(Device!.Id, sequence, i))];

    private void AppendCheckpointIfDue(long sequence)
    {
        if (sequence - _lastCheckpointSequence >= _options.CheckpointInterval)
        {
            var heads = _heads.ToDictionary(h => h.Key.Hex, h => h.Value);
            // A checkpoint refers to no chunk: it makes no pack part of the vault (mark 0).
            AppendEntry([new CheckpointOp(heads, Convert.ToHexStringLower(State.ComputeHash()))], mark: 0);
            _lastCheckpointSequence = _ownHead.Sequence;
        }
    }

    /// <summary>Appends an entry whose chunks are durable: the packs up to <paramref name="mark"/> become part of the vault.</summary>
    private LogEntry AppendEntry(IReadOnlyList<Operation> ops, long mark)
    {
        var entry = MakeEntry(ops);
        Keep(entry, WriteEntry(entry.Entry, mark));
        return entry.Entry;
    }

    /// <summary>The next entry of this device's log, signed, with the clock it carries.</summary>
    private NewEntry MakeEntry(IReadOnlyList<Operation> ops)
    {
        ThrowIfAppending();
        EnsureCurrentKey();
        var clock = Hlc.Next(State.LastClock, Time.GetUtcNow());
        var payload = new Payload(ops).Encode();
        return new NewEntry(LogEntry.Create(Header.VaultIdBytes, Device!, _ownHead.Sequence + 1, _ownHead.Hash, clock, payload, Keys), clock, ops);
    }

    /// <summary>
    /// Writes and fsyncs the entry, marks the packs up to <paramref name="mark"/> committed, then records the new head in
    /// the index. Once the entry is written it returns its head whatever fails next, so that the caller's head moves
    /// past it. Changes no field of the vault: safe beside the caller's thread (<see cref="BeginAppend"/>).
    /// </summary>
    private WrittenEntry WriteEntry(LogEntry entry, long mark)
    {
        var device = Device!;
        var length = LogFile.Append(Path.Combine(Directory, LogFile.RelativePath(device.Id)), _ownHead.Length, [entry]);
        var head = new LogHead(entry.Sequence, entry.Hash, length);
        try
        {
            // The entry is durable: from here on its packs belong to the vault, whatever fails next.
            Chunks.MarkCommitted(mark);
            Index.SetLogHead(device.Id, head);
            return new WrittenEntry(head, null);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The next writable open catches the index up from the log.
            return new WrittenEntry(head, new DupaException(ErrorCode.Io, "the change is saved, but the index could not be updated: " + e.Message, e));
        }
    }

    /// <summary>Takes a written entry in: the new head, then (unless the index could not record it) the entry folded into the state.</summary>
    private void Keep(NewEntry entry, WrittenEntry written)
    {
        _ownHead = written.Head;
        if (written.IndexFailure is { } failure)
        {
            throw failure;
        }
        var folded = new FoldEntry(Device!.Id, entry.Entry.Sequence, entry.Clock, entry.Ops);
        _heads[Device.Id] = entry.Entry.Sequence;
        EntriesTaken++;
        // Released entries are read again from the logs, this one included, when next used; a released state is
        // folded again from them.
        if (_entries is { } entries)
        {
            entries.Add(folded);
            if (HoldsState)
            {
                State.Apply(folded);
            }
        }
    }

    /// <summary>How much of a device's log this copy holds (complete entries), to pull the rest from another member.</summary>
    public long LogLength(string deviceHex) => Logs.FirstOrDefault(l => l.Device.Hex == deviceHex)?.CompleteLength ?? 0;

    /// <summary>
    /// Takes log bytes a member pulled from another member (docs/protocol.md, Members): the entries of
    /// <paramref name="deviceHex"/>'s log that follow the <paramref name="offset"/> bytes this copy holds. Every new
    /// entry must check (structure, sequence, chain, signature) and open under the vault's key before any is written;
    /// then they are appended durably and folded in. Only the new entries are checked and opened, not the whole vault
    /// again. Returns the bytes taken: a torn last frame is left for the next pull.
    /// </summary>
    public long AcceptPulledLog(string deviceHex, long offset, ReadOnlySpan<byte> bytes)
    {
        if (!IsWritable)
        {
            throw new InvalidOperationException("The vault was opened read-only.");
        }
        if (deviceHex.Length != 64 || !deviceHex.All(char.IsAsciiHexDigitLower) || deviceHex == Device?.Id.Hex)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"'{deviceHex}' is not another device of this vault");
        }
        var device = DeviceId.FromHex(deviceHex);
        var publicKeyPath = Path.Combine(Directory, "devices", deviceHex + ".pub");
        if (!File.Exists(publicKeyPath))
        {
            throw new IntegrityException($"log {deviceHex[..12]}", "no public key for this device");
        }
        var existing = Logs.FirstOrDefault(l => l.Device == device);
        var have = existing?.CompleteLength ?? 0;
        if (offset != have)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"log {deviceHex[..12]}: bytes from offset {offset}, but this copy holds {have}");
        }
        using var publicKey = DeviceKey.FromPublicKey(File.ReadAllBytes(publicKeyPath));
        // Read before the log grows, if they were released: read after, they would hold the new entries already.
        var entries = LoadedEntries;
        var read = LogFile.Parse(bytes, publicKey, Header.VaultIdBytes, existing?.Last);
        var (opened, damage) = OpenEntries(read.Entries, Keys);
        if ((read.Damage ?? damage) is { } refused)
        {
            throw refused;
        }
        if (read.Entries.Count == 0)
        {
            return 0;
        }
        var length = LogFile.Append(Path.Combine(Directory, LogFile.RelativePath(device)), have, read.Entries);
        Logs = [.. Logs.Where(l => l.Device != device), new LogSummary(device, read.Entries[^1], length, 0)];
        entries.AddRange(opened);
        _heads[device] = read.Entries[^1].Sequence;
        EntriesTaken += opened.Count;
        State = VaultState.Fold(entries);
        return read.CompleteLength;
    }

    /// <summary>
    /// Opens entries' payloads, up to the first that does not open (returned as damage).
    /// </summary>
    private static (List<FoldEntry> Opened, IntegrityException? Damage) OpenEntries(IReadOnlyList<LogEntry> entries, KeyRing keys)
    {
        var (opened, damage, _) = OpenLogs([entries], keys, fold: false);
        return (opened[0], damage[0]);
    }

    /// <summary>
    /// Opens the payloads of every log's entries, each log up to its first entry that does not open (returned as its
    /// damage). Entries are decrypted and decoded on all cores, in the order the fold applies them, and with
    /// <paramref name="fold"/> a thread of its own folds them as they come: decoding the 20 entries of a
    /// 20,000-file put took 0.15–0.2 s of every command's start, and folding after the last one another 0.05 s. The
    /// fold is given only when every entry opened; otherwise null, and the caller folds what opened.
    /// </summary>
    private static (List<FoldEntry>[] Opened, IntegrityException?[] Damage, Task<VaultState>? Folding) OpenLogs(IReadOnlyList<IReadOnlyList<LogEntry>> logs, KeyRing keys, bool fold)
    {
        var all = logs.SelectMany(log => log).ToArray();
        var order = Enumerable.Range(0, all.Length).ToArray();
        Array.Sort(order, (a, b) => VaultState.FoldOrder.Compare(all[a].Clock, all[a].Device, all[a].Sequence, all[b].Clock, all[b].Device, all[b].Sequence));
        var opened = new FoldEntry?[all.Length];
        var failures = new Exception?[all.Length];
        var gate = new object();
        var failed = false;
        // A thread of its own only where there is something to fold (a new vault has no entries).
        var folding = fold && all.Length > 0 ? Task.Factory.StartNew(FoldAsOpened, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default) : null;
        // One entry at a time, handed out in fold order, so the fold waits little and the cores share the work evenly.
        Parallel.ForEach(Partitioner.Create(order, EnumerablePartitionerOptions.NoBuffering), i =>
        {
            var entry = all[i];
            FoldEntry? result = null;
            Exception? failure = null;
            try
            {
                result = new FoldEntry(entry.Device, entry.Sequence, entry.Clock, Payload.Decode(entry.OpenPayload(keys)).Ops);
            }
            catch (Exception e)
            {
                failure = e;
            }
            lock (gate)
            {
                (opened[i], failures[i]) = (result, failure);
                failed |= failure is not null;
                Monitor.PulseAll(gate);
            }
        });
        var openedPerLog = new List<FoldEntry>[logs.Count];
        var damage = new IntegrityException?[logs.Count];
        var start = 0;
        for (var log = 0; log < logs.Count; log++)
        {
            var entries = logs[log];
            // As if opened one after the other: the first failure decides, and what follows it is not used.
            var first = Array.FindIndex(failures, start, entries.Count, f => f is not null);
            openedPerLog[log] = [.. opened.Skip(start).Take((first < 0 ? start + entries.Count : first) - start).Select(e => e!)];
            damage[log] = first < 0 ? null : failures[first] switch
            {
                IntegrityException e => e,
                JsonException e => new IntegrityException(all[first].Name, "the payload is malformed", e),
                // Anything else is a bug: thrown with the stack of the thread that decoded the entry.
                var e => Rethrow(e!),
            };
            start += entries.Count;
        }
        if (folding is null || damage.Any(d => d is not null))
        {
            // Dropped: it stops at the failure; a fault of its own would be a bug, observed here and met again in the
            // caller's fold.
            folding?.ContinueWith(t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
            return (openedPerLog, damage, null);
        }
        return (openedPerLog, damage, folding.ContinueWith(t => t.GetAwaiter().GetResult()!, TaskScheduler.Default));

        VaultState? FoldAsOpened()
        {
            var state = new VaultState();
            foreach (var i in order)
            {
                lock (gate)
                {
                    while (opened[i] is null && !failed)
                    {
                        Monitor.Wait(gate);
                    }
                    // Any entry that does not open drops this fold, so it stops there.
                    if (failed)
                    {
                        return null;
                    }
                }
                var entry = opened[i]!;
                state.Apply(entry);
            }
            return state;
        }

        static IntegrityException Rethrow(Exception e)
        {
            ExceptionDispatchInfo.Throw(e);
            throw e;
        }
    }

    /// <summary>
    /// Stores a chunk exactly as another member sealed it, after checking that it opens under this vault's key
    /// and matches its ID (so a peer cannot plant a wrong chunk). Returns false if the vault already holds it.
    /// </summary>
    public bool AddSealedChunk(ChunkId id, BlobKind kind, ReadOnlySpan<byte> sealedBlob)
    {
        if (!IsWritable)
        {
            throw new InvalidOperationException("The vault was opened read-only.");
        }
        return Chunks.AddSealed(id, kind, sealedBlob);
    }

    /// <summary>A chunk as this copy stores it (sealed), checked to open, for another member; null if it is not here.</summary>
    public byte[]? ReadSealedChunk(ChunkId id) =>
        Index.TryGetChunk(id, out var location) ? Chunks.ReadSealed(id, location) : null;

    /// <summary>Makes the chunks added by <see cref="AddSealedChunk"/> durable and part of the vault: other devices' entries refer to them.</summary>
    public void CommitSealedChunks()
    {
        ThrowIfAppending();
        Chunks.Flush();
        Chunks.MarkCommitted();
    }

    /// <summary>
    /// The chunks that the folded state needs and this copy lacks: chunk-list blobs first; the data chunks of a
    /// version whose list is itself missing are known only once the list is here, so callers ask again.
    /// </summary>
    public IReadOnlyList<(ChunkId Id, BlobKind Kind)> MissingChunks()
    {
        var missing = new List<(ChunkId, BlobKind)>();
        var seen = new HashSet<ChunkId>();
        foreach (var version in State.Nodes.Concat(State.Trash.SelectMany(t => t.Nodes)).Where(n => n.Type == NodeType.File).SelectMany(n => n.Versions))
        {
            if (version.Content.List is { } list && !Chunks.Contains(list))
            {
                if (seen.Add(list))
                {
                    missing.Add((list, BlobKind.ChunkList));
                }
                continue;
            }
            foreach (var chunk in ResolveChunks(version.Content))
            {
                if (!Chunks.Contains(chunk.Id) && seen.Add(chunk.Id))
                {
                    missing.Add((chunk.Id, BlobKind.Data));
                }
            }
        }
        return missing;
    }

    /// <summary>The current time in Unix milliseconds, for write-once checks.</summary>
    public long NowMs => Time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The chunks of a file version, reading its chunk-list blob where it has one.</summary>
    public IReadOnlyList<ChunkRef> ResolveChunks(FileContent content)
    {
        if (content.List is not { } listId)
        {
            return content.Chunks;
        }
        using var list = Chunks.Read(listId, BlobKind.ChunkList);
        return ChunkList.Decode(list.Span, $"chunk list {listId.Short}");
    }

    /// <summary>A read-only, seekable stream over a file version's content, authenticated chunk by chunk.</summary>
    public Stream OpenRead(FileVersion version) => new VaultFileStream(this, version);

    /// <summary>
    /// The newest epoch's key wrapped to an agreement key's public half (SubjectPublicKeyInfo), under
    /// <paramref name="slot"/> and the epoch, with the vault ID as context (docs/format.md, Wrapping to a public key):
    /// what a member node or a user the vault is shared with is given. It opens that epoch and every older one; the
    /// root key never leaves the owner. <see cref="VaultSecret.Wrapped"/> opens the vault with the result.
    /// </summary>
    public byte[] WrapKeyTo(ReadOnlySpan<byte> recipientSpki, string slot)
    {
        EnsureCurrentKey();
        return PublicKeyWrap.Wrap(recipientSpki, Keys.CurrentEpochKey, VaultKeys.SlotAt(slot, Keys.Epoch), Header.VaultIdBytes);
    }

    /// <summary>The key epoch new data is sealed under (docs/format.md, Key epochs).</summary>
    public int KeyEpoch => Header.Epoch;

    /// <summary>Whether this vault was opened with its passphrase or recovery key (it holds the root key, so it can rotate the key).</summary>
    public bool HoldsRootKey => Keys.HasRoot;

    /// <summary>The newest key epoch this device was given; below <see cref="KeyEpoch"/> it can read older data but not write.</summary>
    public int HeldKeyEpoch => Keys.Epoch;

    /// <summary>
    /// Rotates the vault's key (docs/format.md, Key epochs): a new random epoch key, wrapped under the root key and
    /// chained to the previous one, is added to the header, and a <c>key</c> entry, the first sealed under it, records
    /// who rotated and when. Everything written afterwards is sealed under the new key, which whoever holds only an
    /// older one (a member or user removed before) cannot open; what was written before stays readable to them and
    /// is not re-encrypted. Needs the root key (the vault opened with its passphrase or recovery key) on the device
    /// the header names for rotations. Members and users keep access once they are given the new key.
    /// </summary>
    public int RotateKey()
    {
        if (!IsWritable || Device is null)
        {
            throw new InvalidOperationException("The vault was opened read-only.");
        }
        if (!Keys.HasRoot)
        {
            _ = Keys.Root; // throws the error that says what is needed
        }
        if (Header.Epochs is null)
        {
            throw new DupaException(ErrorCode.UnsupportedVersion, "this vault was made before key epochs: its key cannot be rotated (make a new vault and copy the files over)");
        }
        var keyDevice = Header.KeyDevice ?? Header.GenesisDevice;
        if (keyDevice != Device.Id.Hex)
        {
            throw new DupaException(ErrorCode.Forbidden, $"the key of this vault is rotated on device {keyDevice[..12]}, so that two devices never rotate it apart; rotate it there");
        }
        EnsureCurrentKey();
        if (Keys.Epoch + 1 >= KeyRing.MaxEpochs)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"a vault has at most {KeyRing.MaxEpochs} key epochs");
        }
        // Chunks still waiting in the open pack were sealed under the old key: make them durable before the switch.
        Chunks.Flush();
        var key = KeyRing.NewMasterKey();
        try
        {
            var header = Header with { Epochs = [.. Header.Epochs, VaultKeys.NextEpoch(Keys, key, Header.VaultIdBytes)] };
            header.Write(Directory);
            Header = header;
            Keys.AddEpoch(key);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(key);
        }
        AppendEntry([new KeyOp(Keys.Epoch)], long.MaxValue);
        return Keys.Epoch;
    }

    /// <summary>
    /// Makes this device the one that rotates the vault's key (the header's <c>keyDevice</c>): after a recovery on a
    /// new machine, when the device that rotated it is presumed lost. Needs the root key.
    /// </summary>
    public void BecomeKeyDevice()
    {
        if (!IsWritable || Device is null)
        {
            throw new InvalidOperationException("The vault was opened read-only.");
        }
        _ = Keys.Root;
        if (Header.Epochs is not null && (Header.KeyDevice ?? Header.GenesisDevice) != Device.Id.Hex)
        {
            Header = Header with { KeyDevice = Device.Id.Hex };
            Header.Write(Directory);
        }
    }

    /// <summary>
    /// Takes the key epochs of another device's header of this vault where they extend this one's (a rotation made
    /// there) and writes them here. Returns true when the header changed: the caller then needs the new epoch's key.
    /// </summary>
    public bool AcceptEpochsOf(VaultHeader other)
    {
        var header = Header.WithEpochsOf(other);
        if (ReferenceEquals(header, Header))
        {
            return false;
        }
        header.Write(Directory);
        Header = header;
        return true;
    }

    private void EnsureCurrentKey()
    {
        if (Keys.Epoch < Header.Epoch)
        {
            throw new DupaException(ErrorCode.KeyRotated,
                $"the vault's key was rotated (epoch {Header.Epoch}) and this device holds only epoch {Keys.Epoch}: it cannot write until it is given the new key");
        }
    }

    /// <summary>Writes a new passphrase slot; the data is not re-encrypted (docs/format.md, Keys).</summary>
    public void ChangePassphrase(string newPassphrase)
    {
        if (!IsWritable)
        {
            throw new InvalidOperationException("The vault was opened read-only.");
        }
        if (string.IsNullOrEmpty(newPassphrase))
        {
            throw new DupaException(ErrorCode.InvalidInput, "the new passphrase is empty");
        }
        var salt = RandomNumberGenerator.GetBytes(16);
        var kek = KeyWrap.PassphraseKek(newPassphrase, salt, Header.Kdf.ToParameters());
        var slot = KeyWrap.Wrap(kek, Keys.Root, "passphrase", Header.VaultIdBytes);
        CryptographicOperations.ZeroMemory(kek);
        var header = Header with
        {
            Kdf = Header.Kdf with { Salt = Convert.ToBase64String(salt) },
            Slots = Header.Slots with { Passphrase = Convert.ToBase64String(slot) },
        };
        header.Write(Directory);
    }

    public void Dispose()
    {
        // An entry still being written keeps the lock until it is on disk (its caller failed before ending it).
        try
        {
            _appending?.Writing.Wait();
        }
        catch (AggregateException)
        {
            // Its caller reports what failed, or the entry is dropped with the vault.
        }
        Chunks.Dispose();
        Index.Dispose();
        Device?.Dispose();
        Keys.Dispose();
        _lock?.Dispose();
    }

    /// <summary>Every device's log, read and checked, with the decoded entries.</summary>
    private sealed record LoadedLogs(List<LogReadResult> Results, List<FoldEntry> Entries, Dictionary<DeviceId, long> Heads, List<IntegrityException> Damage, Task<VaultState>? Folding)
    {
        public static LoadedLogs Load(string directory, VaultHeader header, KeyRing keys, VaultIndex index, bool fold = true)
        {
            var results = new List<LogReadResult>();
            var entries = new List<FoldEntry>();
            var heads = new Dictionary<DeviceId, long>();
            var damage = new List<IntegrityException>();
            var committed = index.LogHeads();
            var devicesDirectory = Path.Combine(directory, "devices");
            var seen = new HashSet<string>(StringComparer.Ordinal);
            // Each log read, and where in the damage list an entry of it that does not open goes.
            var read = new List<(LogReadResult Result, int DamageAt)>();
            foreach (var publicKeyPath in System.IO.Directory.EnumerateFiles(devicesDirectory, "*.pub").Order(StringComparer.Ordinal))
            {
                var hex = Path.GetFileNameWithoutExtension(publicKeyPath);
                seen.Add(hex);
                var name = $"device {hex[..Math.Min(12, hex.Length)]}";
                var publicKeyBytes = File.ReadAllBytes(publicKeyPath);
                // The file is named by the hash of its content: check that before parsing untrusted bytes.
                if (Convert.ToHexStringLower(SHA256.HashData(publicKeyBytes)) != hex)
                {
                    damage.Add(new IntegrityException(name, "the public key does not match its device ID"));
                    continue;
                }
                DeviceKey publicKey;
                try
                {
                    publicKey = DeviceKey.FromPublicKey(publicKeyBytes);
                }
                catch (Exception e) when (e is CryptographicException or PlatformNotSupportedException)
                {
                    damage.Add(new IntegrityException(name, "the public key file is malformed", e));
                    continue;
                }
                using (publicKey)
                {
                    var result = LogFile.Read(Path.Combine(directory, LogFile.RelativePath(publicKey.Id)), publicKey, header.VaultIdBytes);
                    results.Add(result);
                    if (result.Damage is not null)
                    {
                        damage.Add(result.Damage);
                    }
                    if (committed.TryGetValue(publicKey.Id, out var head)
                        && (result.Entries.Count < head.Sequence || !result.Entries[(int)head.Sequence - 1].Hash.AsSpan().SequenceEqual(head.Hash)))
                    {
                        damage.Add(new IntegrityException($"log {hex[..12]} entry {head.Sequence}", "an entry the index recorded as committed is missing or damaged"));
                    }
                    read.Add((result, damage.Count));
                }
            }
            var (opened, unreadable, folding) = OpenLogs([.. read.Select(r => r.Result.Entries)], keys, fold);
            for (var log = read.Count - 1; log >= 0; log--)
            {
                if (unreadable[log] is { } e)
                {
                    damage.Insert(read[log].DamageAt, e);
                }
            }
            for (var log = 0; log < read.Count; log++)
            {
                entries.AddRange(opened[log]);
                if (opened[log].Count > 0)
                {
                    heads[read[log].Result.Device] = opened[log][^1].Sequence;
                }
            }
            foreach (var logPath in System.IO.Directory.EnumerateFiles(Path.Combine(directory, "logs"), "*.log"))
            {
                var hex = Path.GetFileNameWithoutExtension(logPath);
                if (!seen.Contains(hex))
                {
                    damage.Add(new IntegrityException($"log {hex[..Math.Min(12, hex.Length)]}", "no public key for this device (devices/ is missing a file)"));
                }
            }
            return new LoadedLogs(results, entries, heads, damage, folding);
        }
    }

    /// <summary>An entry begun by <see cref="BeginAppend"/> and being written on the thread pool.</summary>
    private sealed record PendingAppend(NewEntry Entry, IReadOnlyList<OpRef> Refs, Task<WrittenEntry> Writing);

    /// <summary>A signed entry of this device's log, with what folding it takes.</summary>
    private sealed record NewEntry(LogEntry Entry, Hlc Clock, IReadOnlyList<Operation> Ops);

    /// <summary>A written entry's new head, and what failed after it was written (the index, recording it), if anything.</summary>
    private sealed record WrittenEntry(LogHead Head, DupaException? IndexFailure)
    {
        /// <summary>What failed after the entry was written and recorded (<see cref="BeginAppend"/>'s callback).</summary>
        public ExceptionDispatchInfo? AfterFailure { get; init; }
    }
}
