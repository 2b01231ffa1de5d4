using System.Globalization;
using System.Text.Json;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Vaults;
using Dupa.Node.Api;

namespace Dupa.Cli.Remote;

/// <summary>
/// The vault commands over a node's REST API (docs/api.md), printing what the local commands print. The node does
/// the work (and enforces the same rules); the CLI streams files and shows progress.
/// </summary>
public static class RemoteCommands
{
    public static async Task<int> LsAsync(RemoteVault remote, string path, bool longFormat, string? at, bool json, CancellationToken cancellationToken)
    {
        var entries = await ListAsync(remote, path, at, cancellationToken);
        if (json)
        {
            Output.Json(entries);
            return ExitCodes.Ok;
        }
        foreach (var entry in entries)
        {
            var name = entry.Type == "dir" ? entry.Name + "/" : entry.Type == "symlink" ? $"{entry.Name} -> {entry.Target}" : entry.Name;
            Console.WriteLine(longFormat
                ? $"{entry.Type,-7} {(entry.Type == "file" ? entry.Size.ToString(CultureInfo.InvariantCulture) : "-"),12} {Output.Time(entry.Modified)} {(entry.Type == "file" ? $"v{entry.Versions}" : ""),4} {name}"
                : name);
        }
        return ExitCodes.Ok;
    }

    /// <summary>A directory's entries, or a file as its only entry.</summary>
    private static async Task<IReadOnlyList<EntryView>> ListAsync(RemoteVault remote, string path, string? at, CancellationToken cancellationToken)
    {
        var element = await remote.Client.GetAsync<JsonElement>(remote.Api("tree", path) + (at is null ? "" : "?at=" + Uri.EscapeDataString(Globals.ParseTime(at).ToString("O"))), cancellationToken);
        return element.TryGetProperty("entries", out _)
            ? element.Deserialize(CliJson.WebInfo<ListingView>())!.Entries
            : [element.Deserialize(CliJson.WebInfo<EntryView>())!];
    }

    public static async Task<int> GetAsync(RemoteVault remote, string path, string? to, int? version, string? at, CancellationToken cancellationToken)
    {
        var vaultPath = VaultPath.Parse(path);
        var query = version is { } v ? $"?version={v}" : at is null ? "" : "?at=" + Uri.EscapeDataString(Globals.ParseTime(at).ToString("O"));
        var element = await remote.Client.GetAsync<JsonElement>(remote.Api("tree", vaultPath) + (version is null ? query : ""), cancellationToken);
        var isDirectory = element.TryGetProperty("entries", out _);
        if (isDirectory && version is not null)
        {
            throw new DupaException(ErrorCode.InvalidInput, "--version applies to files; use --at for a directory");
        }
        if (to is null)
        {
            if (isDirectory)
            {
                throw new DupaException(ErrorCode.InvalidInput, $"'{vaultPath}' is a directory; give --to DIR");
            }
            using var response = await remote.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, remote.Api("files", vaultPath) + query), cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await using var stdout = Console.OpenStandardOutput();
            await body.CopyToAsync(stdout, cancellationToken);
            return ExitCodes.Ok;
        }
        // Everything to fetch: the file itself, or the directory's tree walked through its listings.
        var files = new List<EntryView>();
        var symlinks = new List<EntryView>();
        // Every directory to make, the top one first, with the time and mode set once everything in it is written.
        var directories = new List<(string Path, DateTimeOffset? Modified, int? Mode)>();
        if (isDirectory)
        {
            if (vaultPath != VaultPath.Root)
            {
                var listing = element.Deserialize(CliJson.WebInfo<ListingView>())!;
                directories.Add((vaultPath, listing.Modified, listing.Mode));
            }
            var pending = new Stack<string>([vaultPath]);
            while (pending.Count > 0)
            {
                foreach (var entry in await ListAsync(remote, pending.Pop(), at, cancellationToken))
                {
                    if (entry.Type == "dir")
                    {
                        pending.Push(entry.Path);
                        directories.Add((entry.Path, entry.Modified, entry.Mode));
                    }
                    else if (entry.Type == "file")
                    {
                        files.Add(entry);
                    }
                    else if (entry.Type == "symlink")
                    {
                        symlinks.Add(entry);
                    }
                }
            }
        }
        else
        {
            var only = element.Deserialize(CliJson.WebInfo<EntryView>())!;
            if (only.Type == "symlink" && version is not null)
            {
                throw new DupaException(ErrorCode.InvalidInput, "--version applies to files; use --at for a symlink");
            }
            (only.Type == "symlink" ? symlinks : files).Add(only);
        }
        var destination = Path.GetFullPath(to);
        var parent = VaultPath.Parent(vaultPath);
        string Local(string p) => Path.Combine(destination, p[(parent == VaultPath.Root ? 1 : parent.Length + 1)..]);
        Directory.CreateDirectory(destination);
        foreach (var directory in directories)
        {
            Directory.CreateDirectory(Local(directory.Path));
        }
        using var sync = FileSystemSync.Open(destination);
        var total = files.Sum(f => f.Size);
        long done = 0;
        await Output.WithProgress(Output.ShowProgress(json: false), "get", async report =>
        {
            foreach (var file in files)
            {
                var target = Local(file.Path);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                using var response = await remote.Client.SendAsync(new HttpRequestMessage(HttpMethod.Get, remote.Api("files", file.Path) + query), cancellationToken);
                // Written beside the target and renamed, so an interrupted get never leaves half a file under its name;
                // a file that replaces one already there is on disk before the rename, so that a power cut never trades
                // the user's file for one whose content did not reach the disk.
                var temporary = DurableFile.TemporaryNameBeside(target);
                try
                {
                    await using (var output = File.Create(temporary))
                    await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
                    {
                        var buffer = new byte[1 << 16];
                        int read;
                        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                        {
                            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                            done += read;
                            report(done, total, file.Path);
                        }
                        if (File.Exists(target))
                        {
                            output.Flush(flushToDisk: true);
                        }
                    }
                    StoredMode.Apply(temporary, file.Mode ?? 0);
                    File.Move(temporary, target, overwrite: true);
                }
                catch
                {
                    DurableFile.TryDelete(temporary);
                    throw;
                }
                File.SetLastWriteTimeUtc(target, file.Modified.UtcDateTime);
            }
            return 0;
        });
        foreach (var symlink in symlinks)
        {
            FileExporter.MakeSymlink(Local(symlink.Path), symlink.Target ?? "");
        }
        // Deepest first, after their contents: writing into a directory changes its time, and a read-only one takes no files.
        foreach (var directory in directories.OrderByDescending(d => d.Path.Length))
        {
            if (directory.Modified is { } modified)
            {
                Directory.SetLastWriteTimeUtc(Local(directory.Path), modified.UtcDateTime);
            }
            StoredMode.Apply(Local(directory.Path), directory.Mode ?? 0);
        }
        try
        {
            sync.Sync();
        }
        catch (IOException e)
        {
            throw DurableFile.IoError("the restored files may not be on disk", e);
        }
        Console.Error.WriteLine($"restored {files.Count} file(s) and {symlinks.Count} symlink(s), {Output.Size(total)}, into {destination}");
        return ExitCodes.Ok;
    }

    public static async Task<int> PutAsync(RemoteVault remote, IReadOnlyList<string> sources, string to, PathFilter exclude, bool json, CancellationToken cancellationToken)
    {
        var target = VaultPath.Parse(to);
        var uploads = new List<(string Source, string Target, long Size, DateTimeOffset Modified)>();
        var warnings = new List<string>();
        foreach (var source in sources)
        {
            var full = Path.GetFullPath(source.TrimEnd('/', '\\') is { Length: > 0 } trimmed ? trimmed : source);
            if (File.Exists(full))
            {
                if (!SourceFiles.IsRegularFile(full))
                {
                    warnings.Add(SourceFiles.Skipped(full));
                    continue;
                }
                var info = new FileInfo(full);
                uploads.Add((full, VaultPath.Combine(target, info.Name), info.Length, info.LastWriteTimeUtc));
            }
            else if (Directory.Exists(full))
            {
                var root = VaultPath.Combine(target, new DirectoryInfo(full).Name);
                foreach (var file in Directory.EnumerateFiles(full, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0, IgnoreInaccessible = false }).Order(StringComparer.Ordinal))
                {
                    var relative = Path.GetRelativePath(full, file).Replace('\\', '/');
                    if (exclude.IsExcluded(relative))
                    {
                        continue;
                    }
                    var info = new FileInfo(file);
                    if (info.LinkTarget is not null)
                    {
                        warnings.Add($"{file}: a symlink, skipped (remote put stores regular files)");
                        continue;
                    }
                    if (!SourceFiles.IsRegularFile(file))
                    {
                        warnings.Add(SourceFiles.Skipped(file));
                        continue;
                    }
                    uploads.Add((file, root + "/" + relative, info.Length, info.LastWriteTimeUtc));
                }
            }
            else
            {
                throw new DupaException(ErrorCode.NotFound, $"'{source}' does not exist");
            }
        }
        // Files whose size and modification time match the node's current version are not sent again. The listings
        // are asked for several at a time: one by one, the corpus's 200 directories were 200 round trips in a row.
        var known = new System.Collections.Concurrent.ConcurrentDictionary<string, EntryView>(StringComparer.Ordinal);
        await Parallel.ForEachAsync(uploads.Select(u => VaultPath.Parent(u.Target)).Distinct(),
            new ParallelOptions { MaxDegreeOfParallelism = ListingsAtOnce, CancellationToken = cancellationToken }, async (directory, token) =>
            {
                try
                {
                    foreach (var entry in await ListAsync(remote, directory, null, token))
                    {
                        known[entry.Path] = entry;
                    }
                }
                catch (DupaException e) when (e.Code == ErrorCode.NotFound)
                {
                    // A new directory: everything in it is new.
                }
            });
        int added = 0, changed = 0, unchanged = 0;
        var errors = new List<string>();
        var total = uploads.Sum(u => u.Size);
        long done = 0;
        await Output.WithProgress(Output.ShowProgress(json), "put", async report =>
        {
            var pending = new List<(string Source, string Target, long Size, DateTimeOffset Modified, bool Existed)>();
            foreach (var upload in uploads)
            {
                if (known.TryGetValue(upload.Target, out var existing) && existing.Type == "file" && existing.Size == upload.Size
                    && existing.Modified.ToUnixTimeMilliseconds() == upload.Modified.ToUnixTimeMilliseconds())
                {
                    unchanged++;
                    done += upload.Size;
                    report(done, total, upload.Target);
                    continue;
                }
                pending.Add((upload.Source, upload.Target, upload.Size, upload.Modified, existing is not null));
            }
            // Batches in flight finish on different threads: the counts and the progress bar are updated under this lock.
            var counting = new Lock();
            void Count(bool existed) => _ = existed ? changed++ : added++;

            // Large files go first, one by one; small ones then go many to a request, which the node stores as one
            // commit (shared packs, one log entry). In that order a replica fetches the large files' packs while the
            // node stores the small ones, and the commit the put ends with is a small one: on the corpus the other
            // order left the replica a 160 MiB file's packs to fetch after the put had ended. A batch the node
            // refuses is sent again file by file, to say which file it was.
            foreach (var upload in pending.Where(u => u.Size > BatchFileLimit))
            {
                Done(await PutOneAsync(upload.Source, upload.Target, upload.Size, upload.Modified, upload.Existed));
            }
            // Up to two batches in flight, the next one read while they are sent: the node stores one batch while the
            // next arrives, instead of waiting each time for the CLI to read 2,000 files and for the answer to return.
            var sending = new Queue<Task>();
            foreach (var batch in Batches(pending.Where(u => u.Size <= BatchFileLimit).ToList(), u => u.Size))
            {
                if (sending.Count == BatchesInFlight)
                {
                    await sending.Dequeue();
                }
                sending.Enqueue(SendBatchAsync(batch, Task.Run(() => ReadBatchAsync(batch), cancellationToken)));
            }
            while (sending.Count > 0)
            {
                await sending.Dequeue();
            }

            async Task<List<byte[]>> ReadBatchAsync(List<(string Source, string Target, long Size, DateTimeOffset Modified, bool Existed)> batch)
            {
                var contents = new List<byte[]>(batch.Count);
                foreach (var upload in batch)
                {
                    await using var stream = SourceFiles.OpenRead(upload.Source);
                    using var content = new MemoryStream((int)Math.Min(stream.Length, int.MaxValue));
                    await stream.CopyToAsync(content, cancellationToken);
                    // The buffer itself when the file is the size it was opened at (no second copy of its bytes).
                    contents.Add(content.Length == content.Capacity ? content.GetBuffer() : content.ToArray());
                }
                return contents;
            }

            async Task SendBatchAsync(List<(string Source, string Target, long Size, DateTimeOffset Modified, bool Existed)> batch, Task<List<byte[]>> read)
            {
                try
                {
                    using var form = new MultipartFormDataContent();
                    var contents = await read;
                    for (var i = 0; i < batch.Count; i++)
                    {
                        var part = new ByteArrayContent(contents[i]);
                        part.Headers.Add("X-Dupa-Modified", batch[i].Modified.ToString("O"));
                        form.Add(part, "file", batch[i].Target.TrimStart('/'));
                    }
                    using var response = await remote.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, remote.Api("upload") + "?dir=/") { Content = form }, cancellationToken);
                    lock (counting)
                    {
                        foreach (var upload in batch)
                        {
                            done += upload.Size;
                            Count(upload.Existed);
                        }
                        report(done, total, batch[^1].Target);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or DupaException { Code: ErrorCode.WriteOnce or ErrorCode.AlreadyExists or ErrorCode.InvalidInput })
                {
                    // A batch the node refused is sent again file by file, to say which file it was.
                    foreach (var upload in batch)
                    {
                        Done(await PutOneAsync(upload.Source, upload.Target, upload.Size, upload.Modified, upload.Existed));
                    }
                }
            }

            void Done(long bytes)
            {
                lock (counting)
                {
                    done += bytes;
                }
            }

            async Task<long> PutOneAsync(string source, string target, long size, DateTimeOffset modified, bool existed)
            {
                try
                {
                    await using var stream = SourceFiles.OpenRead(source, 1 << 16);
                    long start;
                    lock (counting)
                    {
                        start = done;
                    }
                    using var content = new StreamContent(new ProgressStream(stream, read =>
                    {
                        lock (counting)
                        {
                            report(start + read, total, target);
                        }
                    }), 1 << 16);
                    content.Headers.ContentLength = size;
                    using var request = new HttpRequestMessage(HttpMethod.Put, remote.Api("files", target)) { Content = content };
                    request.Headers.Add("X-Dupa-Modified", modified.ToString("O"));
                    using var response = await remote.Client.SendAsync(request, cancellationToken);
                    lock (counting)
                    {
                        Count(existed);
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    lock (counting)
                    {
                        errors.Add($"{source}: {e.Message}");
                    }
                }
                catch (DupaException e) when (e.Code is ErrorCode.WriteOnce or ErrorCode.AlreadyExists or ErrorCode.InvalidInput)
                {
                    lock (counting)
                    {
                        errors.Add($"{source}: {e.Message}");
                    }
                }
                return size;
            }
            return 0;
        });
        warnings.ForEach(w => Console.Error.WriteLine($"dupa: warning: {w}"));
        errors.ForEach(e => Console.Error.WriteLine($"dupa: error: {e}"));
        if (json)
        {
            Output.Json(new RemotePutJson(added, changed, unchanged, uploads.Sum(u => u.Size), errors, warnings));
        }
        else
        {
            Console.WriteLine($"{added} new, {changed} changed, {unchanged} unchanged files sent to {remote.Node.Name}:{remote.Vault.Name}");
        }
        return errors.Count > 0 ? ExitCodes.Partial : ExitCodes.Ok;
    }

    public static async Task<int> RmAsync(RemoteVault remote, IReadOnlyList<string> paths, bool json, CancellationToken cancellationToken)
    {
        var removed = new List<RemovedJson>();
        foreach (var path in paths.Select(VaultPath.Parse))
        {
            using var response = await remote.Client.SendAsync(new HttpRequestMessage(HttpMethod.Delete, remote.Api("files", path)), cancellationToken);
            var item = (await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken)).RootElement.GetProperty("trashItem").GetString();
            removed.Add(new RemovedJson(path, item!));
            if (!json)
            {
                Console.WriteLine($"moved {path} to the trash (item {item})");
            }
        }
        if (json)
        {
            Output.Json(removed);
        }
        return ExitCodes.Ok;
    }

    public static async Task<int> HistoryAsync(RemoteVault remote, string path, bool json, CancellationToken cancellationToken)
    {
        var versions = await remote.Client.GetAsync<List<VersionView>>(remote.Api("versions", path), cancellationToken);
        if (json)
        {
            Output.Json(versions);
            return ExitCodes.Ok;
        }
        Console.WriteLine($"{"VERSION",7}  {"STORED",-19}  {"SIZE",12}  {"MODIFIED",-19}  DEVICE");
        foreach (var v in versions)
        {
            Console.WriteLine($"{v.Version,7}  {Output.Time(v.Stored),-19}  {v.Size,12}  {Output.Time(v.Modified),-19}  {v.Device[..Math.Min(8, v.Device.Length)]}");
        }
        return ExitCodes.Ok;
    }

    public static async Task<List<TrashItemView>> TrashAsync(RemoteVault remote, CancellationToken cancellationToken) =>
        await remote.Client.GetAsync<List<TrashItemView>>(remote.Api("trash"), cancellationToken);

    /// <summary>A trash item by its ID, a unique prefix of it, or the path it was deleted from (the latest), as locally.</summary>
    public static async Task<TrashItemView> FindTrashItemAsync(RemoteVault remote, string idOrPath, CancellationToken cancellationToken)
    {
        var items = await TrashAsync(remote, cancellationToken);
        var matches = items.Where(i => i.Id.StartsWith(idOrPath, StringComparison.OrdinalIgnoreCase) || ShortId(i.Id).StartsWith(idOrPath, StringComparison.OrdinalIgnoreCase)).ToList();
        if (matches.Count == 1)
        {
            return matches[0];
        }
        if (idOrPath.StartsWith('/') && items.Where(i => i.Path == VaultPath.Parse(idOrPath)).MaxBy(i => i.Deleted) is { } byPath)
        {
            return byPath;
        }
        throw new DupaException(matches.Count > 1 ? ErrorCode.InvalidInput : ErrorCode.NotFound,
            matches.Count > 1 ? $"'{idOrPath}' matches several trash items; give more of the ID" : $"no trash item '{idOrPath}' (see 'dupa trash ls')");
    }

    /// <summary>An op ref as the local commands print it: the device's first 8 hex digits, then ":sequence:index".</summary>
    public static string ShortId(string id) => id.IndexOf(':', StringComparison.Ordinal) is var colon and > 8 ? id[..8] + id[colon..] : id;

    public static async Task<int> StatsAsync(RemoteVault remote, bool json, CancellationToken cancellationToken)
    {
        var stats = await remote.Client.GetAsync<VaultStats>(remote.Api("stats"), cancellationToken);
        if (json)
        {
            Output.Json(stats);
        }
        else
        {
            Commands.StatsCommand.Print(stats);
        }
        return ExitCodes.Ok;
    }

    public static async Task<int> FindAsync(RemoteVault remote, string query, bool json, CancellationToken cancellationToken)
    {
        var found = await remote.Client.GetAsync<SearchResultView>(remote.Api("search") + "?" + query, cancellationToken);
        if (json)
        {
            Output.Json(found);
            return ExitCodes.Ok;
        }
        foreach (var hit in found.Hits)
        {
            var where = hit.Source switch
            {
                "oldversion" => $"  (version {hit.Version})",
                "trash" => $"  (in the trash: {hit.TrashItem})",
                _ => "",
            };
            var tagText = hit.Tags.Count > 0 ? "  #" + string.Join(" #", hit.Tags) : "";
            Console.WriteLine($"{Output.Time(hit.Modified)}  {(hit.Type == "file" ? Output.Size(hit.Size) : "-"),10}  {hit.Path}{(hit.Type == "dir" ? "/" : "")}{where}{tagText}");
        }
        if (found.Total > found.Offset + found.Hits.Count)
        {
            Console.Error.WriteLine($"showing {found.Offset + 1}-{found.Offset + found.Hits.Count} of {found.Total}; more with --offset {found.Offset + found.Hits.Count}");
        }
        return ExitCodes.Ok;
    }

    public static async Task<int> TagAsync(RemoteVault remote, string path, IReadOnlyList<string> add, IReadOnlyList<string> remove, bool json, CancellationToken cancellationToken)
    {
        var tags = await remote.Client.SendJsonAsync<TagsView>(HttpMethod.Post, remote.Api("tags"), new TagRequest(VaultPath.Parse(path), add, remove), cancellationToken);
        if (json)
        {
            Output.Json(tags);
        }
        else
        {
            Console.WriteLine($"{tags.Path}: {(tags.Tags.Count == 0 ? "no tags" : string.Join(", ", tags.Tags))}");
        }
        return ExitCodes.Ok;
    }

    public static async Task<int> LogAsync(RemoteVault remote, string? path, int limit, int offset, bool json, CancellationToken cancellationToken)
    {
        var records = await remote.Client.GetAsync<List<LogRecordView>>(remote.Api("log") + $"?limit={limit}&offset={offset}" + (path is null ? "" : "&path=" + Uri.EscapeDataString(path)), cancellationToken);
        if (json)
        {
            Output.Json(records);
            return ExitCodes.Ok;
        }
        records.ForEach(r => Console.WriteLine($"{Output.Time(r.Time)}  {r.Device[..Math.Min(8, r.Device.Length)]}   {r.Action,-8} {r.Summary}"));
        return ExitCodes.Ok;
    }

    public static async Task<int> DiffAsync(RemoteVault remote, DateTimeOffset from, DateTimeOffset? to, bool json, CancellationToken cancellationToken)
    {
        var changes = await remote.Client.GetAsync<List<ChangeView>>(remote.Api("diff") + "?from=" + Uri.EscapeDataString(from.ToString("O"))
            + (to is { } t ? "&to=" + Uri.EscapeDataString(t.ToString("O")) : ""), cancellationToken);
        if (json)
        {
            Output.Json(changes);
            return ExitCodes.Ok;
        }
        foreach (var c in changes)
        {
            Console.WriteLine(c.Kind switch
            {
                "added" => $"+ {c.Path}{(c.Type == "dir" ? "/" : "")}  {Output.Size(c.NewSize)}",
                "removed" => $"- {c.Path}{(c.Type == "dir" ? "/" : "")}  {Output.Size(c.OldSize)}",
                _ => $"M {c.Path}  {Output.Size(c.OldSize)} -> {Output.Size(c.NewSize)}",
            });
        }
        return ExitCodes.Ok;
    }

    /// <summary>Runs a job (verify, gc, forget) on the node, with a progress bar, and returns its result.</summary>
    public static async Task<JsonElement> RunJobAsync(RemoteVault remote, StartJobRequest request, CancellationToken cancellationToken)
    {
        using var started = await remote.Client.SendAsync(new HttpRequestMessage(HttpMethod.Post, remote.Api("jobs")) { Content = NodeClient.JsonBody(request) }, cancellationToken);
        var location = started.Headers.Location?.ToString() ?? throw new DupaException(ErrorCode.Unknown, "the node started a job but did not say where to follow it");
        JobView job = null!;
        await Output.WithProgress(Output.ShowProgress(json: false), request.Kind, async report =>
        {
            try
            {
                while ((job = await remote.Client.GetAsync<JobView>(location, cancellationToken)).State == "running")
                {
                    report((long)(job.Progress * 1000), 1000, request.Kind);
                    await Task.Delay(200, cancellationToken);
                }
            }
            catch (OperationCanceledException)
            {
                // Ctrl-C stops the job on the node too, not only the CLI's view of it.
                await remote.Client.SendAsync(HttpMethod.Delete, location, cancellationToken: CancellationToken.None);
                throw;
            }
            return 0;
        });
        return job.State switch
        {
            "succeeded" => JsonSerializer.SerializeToElement(job.Result, CliJson.WebInfo<object?>()),
            "cancelled" => throw new DupaException(ErrorCode.Cancelled, $"the {request.Kind} job was cancelled"),
            _ => throw new DupaException(ErrorCode.Unknown, $"the {request.Kind} job failed on the node: {job.Error}"),
        };
    }

    /// <summary>Counts bytes as they are read, for the upload progress bar.</summary>
    private sealed class ProgressStream(Stream inner, Action<long> onRead) : Stream
    {
        private long _read;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => _read; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Counted(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Counted(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        private int Counted(int read)
        {
            _read += read;
            onRead(_read);
            return read;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    /// <summary>Directory listings asked for at once before a put.</summary>
    private const int ListingsAtOnce = 8;

    /// <summary>Batches sent at once: the node stores one while the next arrives; each is held in memory (<see cref="BatchBytes"/>).</summary>
    private const int BatchesInFlight = 2;

    /// <summary>Files at most this large are sent in batches.</summary>
    private const long BatchFileLimit = 4 * 1024 * 1024;

    /// <summary>Files per batch at most.</summary>
    private const int BatchFiles = 2048;

    /// <summary>Bytes per batch at most: one pack (a vault's default pack size), held in memory while it is sent.</summary>
    private const long BatchBytes = 32 * 1024 * 1024;

    /// <summary>
    /// Groups of at most <see cref="BatchFiles"/> files and <see cref="BatchBytes"/>, in order. Each batch is a commit
    /// on the node (a pack fsynced, a log entry, an index transaction) and a round of replication for each replica:
    /// the corpus's 20,000 small files in batches of 256 were 84 commits and as many packs of about 3 MiB to fetch (13 now).
    /// </summary>
    private static IEnumerable<List<T>> Batches<T>(List<T> files, Func<T, long> sizeOf)
    {
        var batch = new List<T>();
        long bytes = 0;
        foreach (var file in files)
        {
            var size = sizeOf(file);
            if (batch.Count > 0 && (batch.Count == BatchFiles || bytes + size > BatchBytes))
            {
                yield return batch;
                batch = [];
                bytes = 0;
            }
            batch.Add(file);
            bytes += size;
        }
        if (batch.Count > 0)
        {
            yield return batch;
        }
    }
}
