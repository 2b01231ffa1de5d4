using System.Security.Cryptography;
using System.Text;
using Dupa.Core.Errors;
using Dupa.Core.Index;
using Dupa.Core.Manifest;
using Dupa.Core.Native;
using Dupa.Core.Vaults;

namespace Dupa.Core.Files;

/// <summary>
/// <c>dupa put</c>: adds files, directories and symlinks from the local file system. Files are streamed through
/// the chunker (never held whole in memory); only new chunks are sealed and stored; a file whose size, mtime and
/// inode match what the last put saw, and whose version is still current, is skipped without being read.
/// Modes, mtimes, symlinks and empty directories are kept. Changes are appended in batches, each after the packs
/// holding its chunks are durable, so a put that is stopped keeps every batch it finished.
/// </summary>
public sealed class FileImporter
{
    private const int SIfMt = 0xF000;
    private const int SIfReg = 0x8000;

    private readonly Vault _vault;
    private readonly PutOptions _options;
    private readonly List<(PutOp Op, byte[]? SeenKey, SeenFile? Seen)> _pending = [];
    private readonly List<string> _errors = [];
    private readonly List<string> _warnings = [];
    private int _added, _changed, _unchanged, _directories, _symlinks, _filesDone, _filesTotal;
    private long _bytesRead, _bytesTotal;

    public FileImporter(Vault vault, PutOptions? options = null)
    {
        if (!vault.IsWritable)
        {
            throw new ArgumentException("The vault must be open for writing.", nameof(vault));
        }
        _vault = vault;
        _options = options ?? new PutOptions();
    }

    private sealed record Item(string Source, string Target, NodeType Type, long Size);

    /// <summary>Adds each source under <paramref name="targetDirectory"/> (a vault path), keeping its own name.</summary>
    public async Task<PutResult> ImportAsync(IReadOnlyList<string> sources, string targetDirectory, CancellationToken cancellationToken = default)
    {
        targetDirectory = VaultPath.Parse(targetDirectory);
        var existingTarget = _vault.State.Get(targetDirectory);
        if (existingTarget is not null && existingTarget.Type != NodeType.Directory)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"'{targetDirectory}' is a file in the vault, not a directory");
        }
        var roots = sources.Select(s => ResolveSource(s, targetDirectory)).ToList();
        var items = new List<Item>();
        foreach (var (source, target) in roots)
        {
            Scan(source, target, "", items);
        }
        _filesTotal = items.Count(i => i.Type == NodeType.File);
        _bytesTotal = items.Sum(i => i.Size);

        var startBytes = _vault.Chunks.BytesWritten;
        var startChunks = _vault.Chunks.ChunksWritten;
        try
        {
            foreach (var item in items)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await ImportItemAsync(item, cancellationToken);
                if (_pending.Count >= _options.BatchSize)
                {
                    Commit();
                }
            }
            Commit();
        }
        catch (OperationCanceledException)
        {
            // Keep the batches already committed; the rest, and the file being read, are not added.
            _vault.Chunks.RollBack();
            throw;
        }
        catch
        {
            _vault.Chunks.RollBack();
            throw;
        }
        // Chunks of files that failed to read and were never committed.
        _vault.Chunks.RollBack();
        return new PutResult
        {
            FilesAdded = _added,
            FilesChanged = _changed,
            FilesUnchanged = _unchanged,
            Directories = _directories,
            Symlinks = _symlinks,
            BytesRead = _bytesRead,
            ChunksAdded = _vault.Chunks.ChunksWritten - startChunks,
            BytesStored = _vault.Chunks.BytesWritten - startBytes,
            Errors = _errors,
            Warnings = _warnings,
        };
    }

    private static (string Source, string Target) ResolveSource(string source, string targetDirectory)
    {
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(source));
        var info = new FileInfo(full);
        if (!info.Exists && !Directory.Exists(full) && info.LinkTarget is null)
        {
            throw new DupaException(ErrorCode.NotFound, $"'{source}': no such file or directory");
        }
        var name = Path.GetFileName(full);
        if (name.Length == 0)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"'{source}' has no name to store it under; put the directories inside it instead");
        }
        VaultPath.CheckComponent(source, name);
        return (full, VaultPath.Combine(targetDirectory, name));
    }

    private void Scan(string source, string target, string relative, List<Item> items)
    {
        var stat = Posix.Stat(source);
        FileSystemInfo info = Directory.Exists(source) ? new DirectoryInfo(source) : new FileInfo(source);
        if (info.LinkTarget is not null)
        {
            items.Add(new Item(source, target, NodeType.Symlink, 0));
            return;
        }
        if (info is FileInfo file)
        {
            if (stat is { } s && (s.Mode & SIfMt) != SIfReg)
            {
                _warnings.Add($"{source}: skipped (not a regular file, directory or symlink)");
                return;
            }
            items.Add(new Item(source, target, NodeType.File, file.Length));
            return;
        }
        items.Add(new Item(source, target, NodeType.Directory, 0));
        IEnumerable<string> children;
        try
        {
            children = Directory.EnumerateFileSystemEntries(source).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList()!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _errors.Add($"{source}: cannot list the directory: {e.Message}");
            return;
        }
        foreach (var name in children)
        {
            var childRelative = relative.Length == 0 ? name : relative + "/" + name;
            if (_options.Exclude.IsExcluded(childRelative))
            {
                continue;
            }
            try
            {
                VaultPath.CheckComponent(childRelative, name);
            }
            catch (DupaException e)
            {
                _warnings.Add($"{Path.Combine(source, name)}: skipped ({e.Message})");
                continue;
            }
            Scan(Path.Combine(source, name), VaultPath.Combine(target, name), childRelative, items);
        }
    }

    private async Task ImportItemAsync(Item item, CancellationToken cancellationToken)
    {
        try
        {
            var existing = _vault.State.Get(item.Target);
            switch (item.Type)
            {
                case NodeType.Directory:
                    {
                        var (mode, mtime) = Metadata(item.Source);
                        if (existing is not null && existing.Type == NodeType.Directory && existing.Current.Mode == mode && existing.Current.MtimeNs == mtime)
                        {
                            return;
                        }
                        _vault.State.CheckPut(item.Target, NodeType.Directory, _vault.NowMs);
                        _pending.Add((new PutOp(item.Target, NodeType.Directory, 0, mtime, mode), null, null));
                        _directories++;
                        return;
                    }
                case NodeType.Symlink:
                    {
                        var target = new FileInfo(item.Source).LinkTarget!;
                        var (_, mtime) = Metadata(item.Source, isSymlink: true);
                        if (existing is not null && existing.Type == NodeType.Symlink && existing.Current.Target == target)
                        {
                            return;
                        }
                        _vault.State.CheckPut(item.Target, NodeType.Symlink, _vault.NowMs);
                        _pending.Add((new PutOp(item.Target, NodeType.Symlink, 0, mtime, 0x1FF) { Target = target, Base = ContentWriter.BaseOf(_vault, item.Target, NodeType.Symlink) }, null, null));
                        _symlinks++;
                        return;
                    }
                default:
                    await ImportFileAsync(item, existing, cancellationToken);
                    return;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Only reading the source lands here: the store wraps its own write failures (a full disk)
            // in a DupaException, which ends the put.
            _errors.Add($"{item.Source}: {e.Message}");
        }
        catch (DupaException e) when (e.Code == ErrorCode.WriteOnce)
        {
            _errors.Add($"{item.Source}: {e.Message}");
        }
    }

    private async Task ImportFileAsync(Item item, TreeNode? existing, CancellationToken cancellationToken)
    {
        var stat = Posix.Stat(item.Source);
        var (mode, mtime) = Metadata(item.Source);
        var seenKey = SeenKey(item.Source, item.Target);
        if (stat is { } s && _vault.Index.TryGetSeen(seenKey) is { } seen
            && seen.Size == item.Size && seen.MtimeNs == s.MtimeNs && seen.Inode == s.Inode
            && existing is { Type: NodeType.File } && existing.Current.Ref.ToString() == seen.Version)
        {
            _unchanged++;
            _filesDone++;
            _bytesRead += item.Size;
            Report(item.Source);
            return;
        }

        _vault.State.CheckPut(item.Target, NodeType.File, _vault.NowMs);
        PutOp op;
        await using (var stream = new FileStream(item.Source, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0, FileOptions.SequentialScan))
        {
            op = await ContentWriter.WriteAsync(_vault, stream, new PutOp(item.Target, NodeType.File, 0, mtime, mode) { Base = ContentWriter.BaseOf(_vault, item.Target, NodeType.File) }, length =>
            {
                _bytesRead += length;
                Report(item.Source);
            }, cancellationToken);
        }
        var seenNow = stat is { } st ? new SeenFile(op.Size, st.MtimeNs, st.Inode, "") : (SeenFile?)null;
        _pending.Add((op, seenKey, seenNow));
        if (existing is { Type: NodeType.File })
        {
            _changed++;
        }
        else
        {
            _added++;
        }
        _filesDone++;
        Report(item.Source);
    }

    private void Commit()
    {
        if (_pending.Count == 0)
        {
            return;
        }
        var refs = _vault.Append(_pending.Select(p => (Operation)p.Op).ToList());
        var seen = new List<(byte[], SeenFile)>();
        for (var i = 0; i < _pending.Count; i++)
        {
            if (_pending[i] is { SeenKey: { } key, Seen: { } file })
            {
                seen.Add((key, file with { Version = refs[i].ToString() }));
            }
        }
        _vault.Index.SetSeen(seen);
        _pending.Clear();
    }

    private byte[] SeenKey(string source, string target) =>
        HMACSHA256.HashData(_vault.Keys.Index, Encoding.UTF8.GetBytes(source + "\0" + target));

    private static (int Mode, long MtimeNs) Metadata(string path, bool isSymlink = false)
    {
        var mtime = Posix.Stat(path)?.MtimeNs ?? (File.GetLastWriteTimeUtc(path).Ticks - DateTime.UnixEpoch.Ticks) * 100;
        var mode = isSymlink || OperatingSystem.IsWindows() ? 0x1FF : (int)File.GetUnixFileMode(path);
        return (mode, mtime);
    }

    private void Report(string current) =>
        _options.Progress?.Report(new PutProgress(_bytesRead, _bytesTotal, _filesDone, _filesTotal, current));
}
