using Dupa.Core.Errors;
using Dupa.Core.Manifest;
using Dupa.Core.Vaults;

namespace Dupa.Core.Files;

/// <summary>Where a get is.</summary>
public sealed record GetProgress(long BytesDone, long BytesTotal, int FilesDone, int FilesTotal);

/// <summary>What a get wrote.</summary>
public sealed record GetResult(int Files, int Directories, int Symlinks, long Bytes);

/// <summary>
/// <c>dupa get</c>: writes a file or a directory tree from the vault to the local file system. Each file is
/// written to a temporary name beside its target and renamed only once complete and authenticated, so a failure
/// never leaves a half-written file. Modes and mtimes are restored; directory mtimes after their contents.
/// </summary>
public sealed class FileExporter
{
    private readonly Vault _vault;
    private readonly IProgress<GetProgress>? _progress;

    public FileExporter(Vault vault, IProgress<GetProgress>? progress = null)
    {
        _vault = vault;
        _progress = progress;
    }

    /// <summary>
    /// Writes <paramref name="nodes"/> (a node and its subtree, parents first, as <see cref="VaultState.Subtree"/>
    /// gives them) into <paramref name="destinationDirectory"/>, the top node keeping its name.
    /// <paramref name="version"/>, when given, picks the top node's version (files only).
    /// </summary>
    public async Task<GetResult> ExportAsync(IReadOnlyList<TreeNode> nodes, string destinationDirectory, FileVersion? version = null, CancellationToken cancellationToken = default)
    {
        if (nodes.Count == 0)
        {
            return new GetResult(0, 0, 0, 0);
        }
        var top = nodes[0];
        var topParent = VaultPath.Parent(top.Path);
        var bytesTotal = nodes.Where(n => n.Type == NodeType.File).Sum(n => n.Current.Size);
        var filesTotal = nodes.Count(n => n.Type == NodeType.File);
        long bytesDone = 0;
        int files = 0, directories = 0, symlinks = 0;
        try
        {
            Directory.CreateDirectory(destinationDirectory);
            var directoryTimes = new List<(string Path, FileVersion Version)>();
            // One buffer for the whole restore: a new 1 MiB array per file lands in the large-object heap and costs gen-2 collections.
            var buffer = new byte[1 << 20];
            foreach (var node in nodes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var relative = topParent == VaultPath.Root ? node.Path[1..] : node.Path[(topParent.Length + 1)..];
                var localPath = Path.Combine(destinationDirectory, relative.Replace('/', Path.DirectorySeparatorChar));
                var current = node == top && version is not null ? version : node.Current;
                switch (current.Type)
                {
                    case NodeType.Directory:
                        Directory.CreateDirectory(localPath);
                        directoryTimes.Add((localPath, current));
                        directories++;
                        break;
                    case NodeType.Symlink:
                        if (File.Exists(localPath) || new FileInfo(localPath).LinkTarget is not null)
                        {
                            File.Delete(localPath);
                        }
                        File.CreateSymbolicLink(localPath, current.Target ?? "");
                        symlinks++;
                        break;
                    default:
                        await using (var output = OpenTemporary(localPath, out var temporary))
                        {
                            try
                            {
                                await using var input = _vault.OpenRead(current);
                                int n;
                                while ((n = await input.ReadAsync(buffer, cancellationToken)) > 0)
                                {
                                    await output.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
                                    bytesDone += n;
                                    _progress?.Report(new GetProgress(bytesDone, bytesTotal, files, filesTotal));
                                }
                                output.Flush(flushToDisk: true);
                            }
                            catch
                            {
                                await output.DisposeAsync();
                                DurableFile.TryDelete(temporary);
                                throw;
                            }
                            output.Close();
                            SetMode(temporary, current.Mode);
                            File.SetLastWriteTimeUtc(temporary, ToDateTime(current.MtimeNs));
                            File.Move(temporary, localPath, overwrite: true);
                        }
                        files++;
                        _progress?.Report(new GetProgress(bytesDone, bytesTotal, files, filesTotal));
                        break;
                }
            }
            // Writing a directory's contents changes its mtime, and a read-only mode would stop the writing, so
            // directories get both last, deepest first.
            foreach (var (path, dirVersion) in directoryTimes.AsEnumerable().Reverse())
            {
                SetMode(path, dirVersion.Mode);
                Directory.SetLastWriteTimeUtc(path, ToDateTime(dirVersion.MtimeNs));
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DurableFile.IoError("cannot write the restored files", e);
        }
        return new GetResult(files, directories, symlinks, bytesDone);
    }

    private static FileStream OpenTemporary(string localPath, out string temporary)
    {
        temporary = Path.Combine(Path.GetDirectoryName(localPath)!, $".{Path.GetFileName(localPath)}.dupa-{Guid.NewGuid():N}.tmp");
        return new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 1 << 16);
    }

    private static void SetMode(string path, int mode)
    {
        if (!OperatingSystem.IsWindows() && mode != 0)
        {
            File.SetUnixFileMode(path, (UnixFileMode)(mode & 0xFFF));
        }
    }

    private static DateTime ToDateTime(long unixNs) => DateTime.UnixEpoch.AddTicks(unixNs / 100);

    /// <summary>Writes one file version to a stream (stdout for <c>dupa get PATH</c> without <c>--to</c>).</summary>
    public async Task<long> CopyToAsync(FileVersion version, Stream destination, CancellationToken cancellationToken = default)
    {
        if (version.Type != NodeType.File)
        {
            throw new DupaException(ErrorCode.InvalidInput, "only a file can be written to standard output; use --to DIR for a directory");
        }
        await using var input = _vault.OpenRead(version);
        var buffer = new byte[1 << 20];
        long total = 0;
        int n;
        while ((n = await input.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await destination.WriteAsync(buffer.AsMemory(0, n), cancellationToken);
            total += n;
            _progress?.Report(new GetProgress(total, version.Size, 0, 1));
        }
        await destination.FlushAsync(cancellationToken);
        return total;
    }
}
