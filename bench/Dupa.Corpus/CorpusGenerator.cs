namespace Dupa.Corpus;

/// <summary>
/// Writes the corpus. Each file's content depends only on the seed and its own name, so files are written in
/// parallel and the result is the same byte for byte whatever the order.
/// </summary>
internal static class CorpusGenerator
{
    public static void Generate(string root, CorpusLayout layout, ulong seed)
    {
        if (Directory.Exists(root) && Directory.EnumerateFileSystemEntries(root).Any())
        {
            throw new IOException($"{root} exists and is not empty; the corpus is written into an empty directory");
        }
        var jobs = new List<Action>();
        Directory.CreateDirectory(Path.Combine(root, "large"));
        for (var i = 0; i < CorpusLayout.LargeFiles; i++)
        {
            var path = Path.Combine(root, "large", $"media-{i}.bin");
            jobs.Add(() => WriteRandom(path, layout.LargeSize, SplitMix64.For(seed, path[root.Length..])));
        }
        // The near-duplicate is written from the same generator as media-0, with edits on the way: it costs no
        // read of media-0, so the parallel writes need no ordering.
        var copy = Path.Combine(root, "large", "media-0-copy.bin");
        var original = Path.Combine(root, "large", "media-0.bin");
        jobs.Add(() => WriteNearDuplicate(copy, layout.LargeSize, SplitMix64.For(seed, original[root.Length..]), SplitMix64.For(seed, copy[root.Length..])));

        Directory.CreateDirectory(Path.Combine(root, "text"));
        for (var i = 0; i < layout.TextFiles; i++)
        {
            var path = Path.Combine(root, "text", $"document-{i:D3}.txt");
            jobs.Add(() => WriteText(path, CorpusLayout.TextSize, SplitMix64.For(seed, path[root.Length..])));
        }
        Directory.CreateDirectory(Path.Combine(root, "logs"));
        for (var i = 0; i < CorpusLayout.LogFiles; i++)
        {
            var path = Path.Combine(root, "logs", $"app-{i}.log");
            jobs.Add(() => WriteLog(path, layout.LogSize, SplitMix64.For(seed, path[root.Length..]), 1_767_225_600 + (i * 86_400)));
        }

        var directories = SmallDirectories(root, layout.SmallDirectories, SplitMix64.For(seed, "small-dirs"));
        foreach (var directory in directories)
        {
            Directory.CreateDirectory(directory);
        }
        const int Batch = 500;
        for (var start = 0; start < layout.SmallFiles; start += Batch)
        {
            var first = start;
            var last = Math.Min(layout.SmallFiles, start + Batch);
            jobs.Add(() =>
            {
                for (var i = first; i < last; i++)
                {
                    var rng = SplitMix64.For(seed, $"small-{i}");
                    var directory = directories[(int)(rng.NextUInt64() % (ulong)directories.Count)];
                    WriteSmall(Path.Combine(directory, SmallName(i, rng)), rng);
                }
            });
        }
        Parallel.Invoke(new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, [.. jobs]);
    }

    /// <summary>About <paramref name="count"/> directories nested up to four deep under small/.</summary>
    private static List<string> SmallDirectories(string root, int count, SplitMix64 rng)
    {
        var directories = new List<string> { Path.Combine(root, "small") };
        for (var i = 1; i < count; i++)
        {
            // A parent among the existing ones, favouring recent ones so that the tree grows deep as well as wide.
            var parent = directories[Math.Max(0, directories.Count - 1 - rng.Next(0, 12))];
            if (parent.Count(c => c == '/') - root.Count(c => c == '/') > 4)
            {
                parent = directories[rng.Next(0, Math.Min(directories.Count, 8))];
            }
            directories.Add(Path.Combine(parent, $"dir-{i:D3}"));
        }
        return directories;
    }

    private static readonly string[] TextExtensions = [".cs", ".md", ".json", ".txt", ".html", ".yaml"];
    private static readonly string[] BinaryExtensions = [".jpg", ".png", ".gz", ".pdf"];

    private static string SmallName(int i, SplitMix64 rng) =>
        rng.Next(0, 5) < 3 ? $"file-{i:D5}{TextExtensions[rng.Next(0, TextExtensions.Length)]}" : $"file-{i:D5}{BinaryExtensions[rng.Next(0, BinaryExtensions.Length)]}";

    /// <summary>A small file of 1–32 KiB: text if its name says so, random bytes otherwise.</summary>
    public static void WriteSmall(string path, SplitMix64 rng)
    {
        var length = rng.Next(1024, (32 * 1024) + 1);
        using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
        if (BinaryExtensions.Contains(Path.GetExtension(path)))
        {
            var bytes = new byte[length];
            rng.Fill(bytes);
            stream.Write(bytes);
        }
        else
        {
            TextSource.WriteProse(stream, length, rng);
        }
    }

    private static void WriteRandom(string path, long length, SplitMix64 rng)
    {
        using var stream = Create(path);
        var block = new byte[1 << 20];
        for (var left = length; left > 0; left -= block.Length)
        {
            var n = (int)Math.Min(block.Length, left);
            rng.Fill(block.AsSpan(0, n));
            stream.Write(block, 0, n);
        }
    }

    /// <summary>
    /// media-0 with edits: every 16 MiB a 4 KiB block replaced, and 1,000 bytes inserted at a third, so that
    /// deduplication must find the shared chunks around both kinds of change.
    /// </summary>
    private static void WriteNearDuplicate(string path, long length, SplitMix64 original, SplitMix64 edits)
    {
        using var stream = Create(path);
        var block = new byte[1 << 20];
        var insertAt = length / 3 / block.Length * block.Length;
        long written = 0;
        while (written < length)
        {
            var n = (int)Math.Min(block.Length, length - written);
            original.Fill(block.AsSpan(0, n));
            if (written % (16L << 20) == (8L << 20) && n >= 4096)
            {
                edits.Fill(block.AsSpan(1000, 4096));
            }
            if (written == insertAt)
            {
                var inserted = new byte[1000];
                edits.Fill(inserted);
                stream.Write(inserted);
            }
            stream.Write(block, 0, n);
            written += n;
        }
    }

    private static void WriteText(string path, long length, SplitMix64 rng)
    {
        using var stream = Create(path);
        TextSource.WriteProse(stream, length, rng);
    }

    private static void WriteLog(string path, long length, SplitMix64 rng, long startSeconds)
    {
        using var stream = Create(path);
        TextSource.WriteLog(stream, length, rng, startSeconds);
    }

    private static FileStream Create(string path) => new(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0);
}
