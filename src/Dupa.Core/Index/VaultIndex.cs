using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Dupa.Core.Index;

/// <summary>Where a chunk is stored.</summary>
public readonly record struct ChunkLocation(string Pack, long Offset, int Length, BlobKind Kind);

/// <summary>The last entry of a device's log that the index has taken in.</summary>
public readonly record struct LogHead(long Sequence, byte[] Hash, long Length);

/// <summary>What <c>put</c> remembers of a source file so that an unchanged file is skipped without being read.</summary>
public readonly record struct SeenFile(long Size, long MtimeNs, ulong Inode, string Version);

/// <summary>
/// The vault's SQLite index (docs/format.md, The index): chunk locations, log heads and put's change cache.
/// Derived and rebuildable; it holds no plaintext name or path. WAL mode, so readers in other processes see a
/// consistent snapshot while the one writer commits.
/// </summary>
public sealed class VaultIndex : IDisposable
{
    public const string FileName = "index.db";
    private const int SchemaVersion = 1;

    private readonly SqliteConnection _connection;
    private readonly Lock _gate = new();

    // A connection of its own for the lookups made once per chunk, so that they never wait for a write: a pack's
    // rows are committed (and the WAL fsynced) under _gate while a put's readers ask whether their next chunks are
    // stored. In WAL mode a reader sees every transaction committed before its query began, and nothing of one in
    // progress. The one connection, under the one lock, when the index is opened read-only.
    private readonly SqliteConnection _lookups;
    private readonly Lock _lookupGate;

    // The lookup, prepared once: preparing the SQL anew for every call was 0.4 s of a 1.1 GiB restore's CPU time
    // (perf: sqlite3RunParser).
    private SqliteCommand? _chunkLookup;

    private VaultIndex(SqliteConnection connection, SqliteConnection lookups)
    {
        _connection = connection;
        _lookups = lookups;
        _lookupGate = lookups == connection ? _gate : new Lock();
    }

    public static VaultIndex Open(string vaultDirectory, bool readOnly)
    {
        // Readers open read-write but query-only, so the last connection to close folds the WAL back into the
        // database and removes the -wal and -shm files; a missing index is not created by a reader.
        var path = Path.Combine(vaultDirectory, FileName);
        var connection = new SqliteConnection(SqliteConnectionStrings.For(path, readOnly ? SqliteOpenMode.ReadWrite : SqliteOpenMode.ReadWriteCreate, defaultTimeoutSeconds: 30));
        SqliteConnection? lookups = null;
        try
        {
            connection.Open();
            if (readOnly)
            {
                Execute(connection, "PRAGMA query_only=1;");
                return new VaultIndex(connection, connection);
            }
            Execute(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;");
            CreateSchema(connection);
            lookups = new SqliteConnection(SqliteConnectionStrings.For(path, SqliteOpenMode.ReadWrite, defaultTimeoutSeconds: 30));
            lookups.Open();
            Execute(lookups, "PRAGMA query_only=1;");
            return new VaultIndex(connection, lookups);
        }
        catch (SqliteException e)
        {
            lookups?.Dispose();
            connection.Dispose();
            throw new IntegrityException("index", $"the index cannot be opened ({e.Message}); run 'dupa index rebuild'", e);
        }
    }

    private static void CreateSchema(SqliteConnection connection)
    {
        Execute(connection, $"""
            CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS packs (id INTEGER PRIMARY KEY, hash TEXT NOT NULL UNIQUE, size INTEGER NOT NULL);
            CREATE TABLE IF NOT EXISTS chunks (id BLOB PRIMARY KEY, pack INTEGER NOT NULL REFERENCES packs(id), offset INTEGER NOT NULL,
                length INTEGER NOT NULL, kind INTEGER NOT NULL) WITHOUT ROWID;
            CREATE INDEX IF NOT EXISTS chunks_by_pack ON chunks(pack);
            CREATE TABLE IF NOT EXISTS log_heads (device BLOB PRIMARY KEY, sequence INTEGER NOT NULL, hash BLOB NOT NULL, length INTEGER NOT NULL) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS seen_files (key BLOB PRIMARY KEY, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
                version TEXT NOT NULL) WITHOUT ROWID;
            INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', '{SchemaVersion}');
            """);
    }

    /// <summary>
    /// Whether the index has the chunk, in a pack it knows and in a row that reads (a damaged row is an integrity error):
    /// the same lookup as <see cref="TryGetChunk"/>. Safe from many threads, and never waits for a write in progress.
    /// </summary>
    public bool Contains(ChunkId id) => TryGetChunk(id, out _);

    /// <summary>A chunk row as read from disk, its pack's name checked (<see cref="CheckedPackHash"/>): the index is derived data, so a damaged row is an integrity error, never a crash.</summary>
    private static ChunkLocation CheckedLocation(string pack, long offset, int length, int kind)
    {
        if (offset < 0 || length < Storage.ChunkCodec.Overhead || kind is not (1 or 2))
        {
            throw DamagedRow();
        }
        return new ChunkLocation(pack, offset, length, (BlobKind)kind);
    }

    private static string CheckedPackHash(string pack) =>
        pack.Length == 64 && pack.All(char.IsAsciiHexDigitLower) ? pack : throw DamagedRow();

    private static IntegrityException DamagedRow() => new("index", "a chunk row is damaged (run 'dupa index rebuild')");

    public bool TryGetChunk(ChunkId id, out ChunkLocation location)
    {
        lock (_lookupGate)
        {
            _chunkLookup ??= Prepared(_lookups, "SELECT p.hash, c.offset, c.length, c.kind FROM chunks c JOIN packs p ON p.id = c.pack WHERE c.id = $id", "$id");
            _chunkLookup.Parameters[0].Value = id.ToArray();
            using var reader = _chunkLookup.ExecuteReader();
            if (reader.Read())
            {
                location = CheckedLocation(CheckedPackHash(reader.GetString(0)), reader.GetInt64(1), reader.GetInt32(2), reader.GetInt32(3));
                return true;
            }
            location = default;
            return false;
        }
    }

    /// <summary>Records a durable pack and its chunks in one transaction; a chunk the index already has keeps its row.</summary>
    public void AddPack(PackInfo pack)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            InsertPack(pack, conflict: "IGNORE");
            transaction.Commit();
        }
    }

    /// <summary>Inserts a pack's row and its chunks' rows; <paramref name="conflict"/> says what happens to a chunk already indexed.</summary>
    private void InsertPack(PackInfo pack, string conflict)
    {
        using var insertPack = Command("INSERT OR REPLACE INTO packs (hash, size) VALUES ($hash, $size) RETURNING id", ("$hash", pack.Hash), ("$size", pack.Size));
        var packId = (long)insertPack.ExecuteScalar()!;
        using var insertChunk = Command($"INSERT OR {conflict} INTO chunks (id, pack, offset, length, kind) VALUES ($id, $pack, $offset, $length, $kind)",
            ("$id", Array.Empty<byte>()), ("$pack", packId), ("$offset", 0L), ("$length", 0), ("$kind", 0));
        foreach (var entry in pack.Entries)
        {
            insertChunk.Parameters["$id"].Value = entry.Id.ToArray();
            insertChunk.Parameters["$offset"].Value = entry.Offset;
            insertChunk.Parameters["$length"].Value = entry.Length;
            insertChunk.Parameters["$kind"].Value = (int)entry.Kind;
            insertChunk.ExecuteNonQuery();
        }
    }

    /// <summary>Forgets a pack and its chunks (a pack that no log entry came to refer to).</summary>
    public void RemovePack(string hash) => ReplacePacks([], [hash]);

    /// <summary>
    /// gc's commit point, in one transaction: the new packs' chunks take over their rows, then the old packs and
    /// every chunk row still pointing at them are dropped.
    /// </summary>
    public void ReplacePacks(IReadOnlyList<PackInfo> added, IReadOnlyCollection<string> removed)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            foreach (var pack in added)
            {
                InsertPack(pack, conflict: "REPLACE");
            }
            foreach (var hash in removed)
            {
                using (var chunks = Command("DELETE FROM chunks WHERE pack = (SELECT id FROM packs WHERE hash = $hash)", ("$hash", hash)))
                {
                    chunks.ExecuteNonQuery();
                }
                using var pack = Command("DELETE FROM packs WHERE hash = $hash", ("$hash", hash));
                pack.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    public IReadOnlyList<(string Hash, long Size)> Packs()
    {
        lock (_gate)
        {
            using var command = Command("SELECT hash, size FROM packs ORDER BY hash");
            using var reader = command.ExecuteReader();
            var packs = new List<(string, long)>();
            while (reader.Read())
            {
                packs.Add((reader.GetString(0), reader.GetInt64(1)));
            }
            return packs;
        }
    }

    // Chunk rows name their pack by its row ID; the names come from one read of the pack table (ChunkRowReader)
    // rather than a join, which looked each row's pack up again and made and checked a new 64-character string for
    // every chunk of a restore.
    private const string ChunkRows = "SELECT id, pack, offset, length, kind FROM chunks";

    private const string SeenRows = "SELECT key, size, mtime_ns, inode, version FROM seen_files";

    /// <summary>Every chunk the index knows, with its location.</summary>
    public IReadOnlyList<(ChunkId Id, ChunkLocation Location)> Chunks()
    {
        lock (_gate)
        {
            var readRow = ChunkRowReader();
            using var command = Command(ChunkRows);
            using var reader = command.ExecuteReader();
            var chunks = new List<(ChunkId, ChunkLocation)>();
            while (reader.Read())
            {
                if (readRow(reader, out var id, out var location))
                {
                    chunks.Add((id, location));
                }
            }
            return chunks;
        }
    }

    /// <summary>
    /// The locations of <paramref name="ids"/> (null where the index has none), in their order: in one pass over the
    /// chunk table (<see cref="FindInOnePass"/>), or one lookup each.
    /// </summary>
    public ChunkLocation?[] TryGetChunks(IReadOnlyList<ChunkId> ids)
    {
        if (ids.Count >= OnePassKeys)
        {
            lock (_gate)
            {
                if (FindInOnePass(ids, null, ChunkRows, ChunkRowReader()) is { } found)
                {
                    return found;
                }
            }
        }
        return [.. ids.Select(id => TryGetChunk(id, out var location) ? location : (ChunkLocation?)null)];
    }

    /// <summary>
    /// Reads a row of <see cref="ChunkRows"/>, its pack named from one read of the pack table: false for a row whose
    /// pack has no row (what a join would leave out). A damaged pack name fails the read even when no chunk row names
    /// that pack, where the join failed only on the rows it read. Call under the lock.
    /// </summary>
    private RowReader<ChunkId, ChunkLocation> ChunkRowReader()
    {
        var packs = new Dictionary<long, string>();
        using (var command = Command("SELECT id, hash FROM packs"))
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                packs[reader.GetInt64(0)] = CheckedPackHash(reader.GetString(1));
            }
        }
        return (SqliteDataReader reader, out ChunkId chunk, out ChunkLocation location) =>
        {
            // Not GetBytes: Microsoft.Data.Sqlite reads a blob through a stream that asks for the column's table
            // metadata every time (half the pass's time, measured).
            var id = (byte[])reader.GetValue(0);
            if (id.Length != ChunkId.Size)
            {
                throw new IntegrityException("index", "a chunk row has a malformed ID");
            }
            chunk = ChunkId.Read(id);
            if (!packs.TryGetValue(reader.GetInt64(1), out var pack))
            {
                location = default;
                return false;
            }
            location = CheckedLocation(pack, reader.GetInt64(2), reader.GetInt32(3), reader.GetInt32(4));
            return true;
        };
    }

    /// <summary>Reads one row's key and value; false to leave the row out.</summary>
    private delegate bool RowReader<TKey, TValue>(SqliteDataReader reader, out TKey key, out TValue value);

    public Dictionary<DeviceId, LogHead> LogHeads()
    {
        lock (_gate)
        {
            using var command = Command("SELECT device, sequence, hash, length FROM log_heads");
            using var reader = command.ExecuteReader();
            var heads = new Dictionary<DeviceId, LogHead>();
            while (reader.Read())
            {
                var device = (byte[])reader.GetValue(0);
                var hash = (byte[])reader.GetValue(2);
                if (device.Length != DeviceId.Size || hash.Length != 32 || reader.GetInt64(1) < 1 || reader.GetInt64(3) < 0)
                {
                    throw new IntegrityException("index", "a log head row is malformed");
                }
                heads[new DeviceId(device)] = new LogHead(reader.GetInt64(1), hash, reader.GetInt64(3));
            }
            return heads;
        }
    }

    public void SetLogHead(DeviceId device, LogHead head)
    {
        lock (_gate)
        {
            using var command = Command("INSERT OR REPLACE INTO log_heads (device, sequence, hash, length) VALUES ($d, $s, $h, $l)",
                ("$d", device.Bytes.ToArray()), ("$s", head.Sequence), ("$h", head.Hash), ("$l", head.Length));
            command.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// What put last saw of each file (null where nothing), in the keys' order: in one pass over the table
    /// (<see cref="FindInOnePass"/>), or a few hundred keys per query. 20,000 files took 0.1–0.15 s as 80 queries of
    /// 256 keys (two B-tree searches per key) and a fraction of that as one pass.
    /// </summary>
    public SeenFile?[] TryGetSeen(IReadOnlyList<byte[]> keys)
    {
        lock (_gate)
        {
            if (keys.Count >= OnePassKeys && FindInOnePass<byte[], SeenFile>(keys, KeyComparer.Instance, SeenRows, ReadSeenRow) is { } inOnePass)
            {
                return inOnePass;
            }
            const int PerQuery = 256;
            var found = new SeenFile?[keys.Count];
            var positions = new Positions<byte[]>(keys, KeyComparer.Instance);
            for (var start = 0; start < keys.Count; start += PerQuery)
            {
                var count = Math.Min(PerQuery, keys.Count - start);
                using var command = _connection.CreateCommand();
                command.CommandText = SeenRows + " WHERE key IN (" + string.Join(", ", Enumerable.Range(0, count).Select(i => "$k" + i)) + ")";
                for (var i = 0; i < count; i++)
                {
                    command.Parameters.AddWithValue("$k" + i, keys[start + i]);
                }
                using var reader = command.ExecuteReader();
                while (reader.Read())
                {
                    if (ReadSeenRow(reader, out var key, out var seen))
                    {
                        positions.Fill(key, seen, found);
                    }
                }
            }
            return found;
        }
    }

    private static bool ReadSeenRow(SqliteDataReader reader, out byte[] key, out SeenFile seen)
    {
        key = (byte[])reader.GetValue(0);
        seen = new(reader.GetInt64(1), reader.GetInt64(2), (ulong)reader.GetInt64(3), reader.GetString(4));
        return true;
    }

    /// <summary>How many keys make one pass over a table cheaper than a lookup each (<see cref="FindInOnePass"/>).</summary>
    private const int OnePassKeys = 1024;

    /// <summary>
    /// Each key's value from the rows of <paramref name="rows"/>, in the keys' order (null where no row has it), read
    /// in one pass: for <see cref="OnePassKeys"/> keys or more, a fraction of the time of a lookup per key. Null for a
    /// table of more than four rows per key, which is not read to its end (the caller then looks each key up). Call
    /// under the lock.
    /// </summary>
    private TValue?[]? FindInOnePass<TKey, TValue>(IReadOnlyList<TKey> keys, IEqualityComparer<TKey>? comparer, string rows, RowReader<TKey, TValue> read)
        where TKey : notnull
        where TValue : struct
    {
        var positions = new Positions<TKey>(keys, comparer);
        var found = new TValue?[keys.Count];
        using var command = Command(rows);
        using var reader = command.ExecuteReader();
        for (var row = 0L; reader.Read(); row++)
        {
            if (row == 4L * keys.Count)
            {
                return null;
            }
            if (read(reader, out var key, out var value))
            {
                positions.Fill(key, value, found);
            }
        }
        return found;
    }

    /// <summary>Where each key stands in a list of keys (a key asked twice stands twice): its first place, and from each place the next of the same key.</summary>
    private sealed class Positions<TKey>
        where TKey : notnull
    {
        private readonly Dictionary<TKey, int> _first;
        private readonly int[] _next;

        public Positions(IReadOnlyList<TKey> keys, IEqualityComparer<TKey>? comparer)
        {
            _first = new Dictionary<TKey, int>(keys.Count, comparer);
            _next = new int[keys.Count];
            for (var i = keys.Count - 1; i >= 0; i--)
            {
                ref var first = ref CollectionsMarshal.GetValueRefOrAddDefault(_first, keys[i], out var exists);
                _next[i] = exists ? first : -1;
                first = i;
            }
        }

        /// <summary>Sets <paramref name="value"/> at every place of <paramref name="key"/> in <paramref name="found"/>.</summary>
        public void Fill<TValue>(TKey key, TValue value, TValue?[] found)
            where TValue : struct
        {
            if (_first.TryGetValue(key, out var at))
            {
                for (; at >= 0; at = _next[at])
                {
                    found[at] = value;
                }
            }
        }
    }

    /// <summary>Seen-file keys are HMAC outputs, so their first bytes are already a good hash.</summary>
    private sealed class KeyComparer : IEqualityComparer<byte[]>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] key) => key.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(key) : key.Length;
    }

    public void SetSeen(IEnumerable<(byte[] Key, SeenFile File)> files)
    {
        lock (_gate)
        {
            using var transaction = _connection.BeginTransaction();
            using var command = Command("INSERT OR REPLACE INTO seen_files (key, size, mtime_ns, inode, version) VALUES ($k, $s, $m, $i, $v)",
                ("$k", Array.Empty<byte>()), ("$s", 0L), ("$m", 0L), ("$i", 0L), ("$v", ""));
            foreach (var (key, file) in files)
            {
                command.Parameters["$k"].Value = key;
                command.Parameters["$s"].Value = file.Size;
                command.Parameters["$m"].Value = file.MtimeNs;
                command.Parameters["$i"].Value = (long)file.Inode;
                command.Parameters["$v"].Value = file.Version;
                command.ExecuteNonQuery();
            }
            transaction.Commit();
        }
    }

    /// <summary>Empties every derived table, before a rebuild.</summary>
    public void Clear()
    {
        lock (_gate)
        {
            Execute("DELETE FROM chunks; DELETE FROM packs; DELETE FROM log_heads; DELETE FROM seen_files;");
        }
    }

    /// <summary>SQLite's own structural check; returns its complaints, empty when clean.</summary>
    public IReadOnlyList<string> CheckStructure()
    {
        lock (_gate)
        {
            using var command = Command("PRAGMA integrity_check");
            using var reader = command.ExecuteReader();
            var problems = new List<string>();
            while (reader.Read())
            {
                var line = reader.GetString(0);
                if (line != "ok")
                {
                    problems.Add(line);
                }
            }
            return problems;
        }
    }

    private void Execute(string sql) => Execute(_connection, sql);

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = Command(connection, sql);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Command(string sql, params (string Name, object Value)[] parameters) => Command(_connection, sql, parameters);

    private static SqliteCommand Command(SqliteConnection connection, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }
        return command;
    }

    private static SqliteCommand Prepared(SqliteConnection connection, string sql, string parameter)
    {
        var command = Command(connection, sql, (parameter, Array.Empty<byte>()));
        command.Prepare();
        return command;
    }

    /// <summary>
    /// Hands back the pages SQLite keeps cached for this index's connections (<c>PRAGMA shrink_memory</c>), up to 2 MiB
    /// each: a node kept them for every vault it had used until it stopped (4.2 MiB after the benchmark corpus's
    /// remote put). They are read from the file again when next needed. Waits for a write in progress. Only a hint:
    /// an error from SQLite is not thrown (the next real use of the index reports it), so that an idle node's timer,
    /// which calls this, never fails.
    /// </summary>
    public void ReleaseMemory()
    {
        try
        {
            lock (_gate)
            {
                Execute(_connection, "PRAGMA shrink_memory;");
            }
            if (_lookups != _connection)
            {
                lock (_lookupGate)
                {
                    Execute(_lookups, "PRAGMA shrink_memory;");
                }
            }
        }
        catch (SqliteException)
        {
            // The caches stay; nothing else changed.
        }
    }

    /// <summary>Bytes SQLite holds in the page caches of this index's connections (for tests).</summary>
    internal long CacheBytes()
    {
        long Used(SqliteConnection connection)
        {
            SQLitePCL.raw.sqlite3_db_status(connection.Handle, SQLitePCL.raw.SQLITE_DBSTATUS_CACHE_USED, out var current, out _, 0);
            return current;
        }
        lock (_gate)
        {
            if (_lookups == _connection)
            {
                return Used(_connection);
            }
            lock (_lookupGate)
            {
                return Used(_connection) + Used(_lookups);
            }
        }
    }

    public void Dispose()
    {
        _chunkLookup?.Dispose();
        if (_lookups != _connection)
        {
            _lookups.Dispose();
        }
        _connection.Dispose();
        SqliteConnection.ClearAllPools();
    }
}
