namespace Dupa.Corpus;

/// <summary>
/// The change set of issue 8, applied in place and deterministic for a given corpus and seed: 100 bytes
/// inserted in the middle of every large file, text appended to every text and log file, 100 small files
/// edited, 50 deleted and 50 added.
/// </summary>
internal static class ChangeSet
{
    /// <summary>Applies the change set; <paramref name="deleted"/> receives the deleted files' paths relative to the root.</summary>
    public static string Apply(string root, ulong seed, List<string> deleted)
    {
        var rng = SplitMix64.For(seed, "change-set");
        var large = Files(root, "large");
        foreach (var path in large)
        {
            InsertInMiddle(path, rng);
        }
        var texts = Files(root, "text").Concat(Files(root, "logs")).ToList();
        foreach (var path in texts)
        {
            using var stream = new FileStream(path, FileMode.Append, FileAccess.Write);
            if (path.EndsWith(".log", StringComparison.Ordinal))
            {
                TextSource.WriteLog(stream, 64 * 1024, rng, 1_798_761_600);
            }
            else
            {
                TextSource.WriteProse(stream, 4 * 1024, rng);
            }
        }

        var small = Files(root, "small");
        var picked = Pick(small.Count, 150, rng);
        var edited = 0;
        foreach (var i in picked.Take(100))
        {
            // 100 bytes overwritten at a random place: the size stays, so only the mtime and content tell.
            using var stream = new FileStream(small[i], FileMode.Open, FileAccess.Write);
            var patch = new byte[100];
            rng.Fill(patch);
            stream.Position = (long)(rng.NextUInt64() % (ulong)Math.Max(1, stream.Length - patch.Length));
            stream.Write(patch);
            edited++;
        }
        foreach (var i in picked.Skip(100))
        {
            File.Delete(small[i]);
            deleted.Add(Path.GetRelativePath(root, small[i]));
        }
        var directories = Directory.GetDirectories(Path.Combine(root, "small"), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        for (var i = 0; i < 50; i++)
        {
            var directory = directories[(int)(rng.NextUInt64() % (ulong)directories.Count)];
            CorpusGenerator.WriteSmall(Path.Combine(directory, $"added-{i:D2}{(i % 2 == 0 ? ".md" : ".jpg")}"), rng);
        }
        return $"{large.Count} large files +100 B each, {texts.Count} text files appended, {edited} small files edited, 50 deleted, 50 added";
    }

    private static List<string> Files(string root, string part) =>
        [.. Directory.GetFiles(Path.Combine(root, part), "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)];

    /// <summary><paramref name="count"/> distinct indexes below <paramref name="n"/>.</summary>
    private static List<int> Pick(int n, int count, SplitMix64 rng)
    {
        var picked = new List<int>();
        var seen = new HashSet<int>();
        while (picked.Count < Math.Min(count, n))
        {
            var i = (int)(rng.NextUInt64() % (ulong)n);
            if (seen.Add(i))
            {
                picked.Add(i);
            }
        }
        return picked;
    }

    /// <summary>Inserts 100 random bytes at the middle, rewriting only the second half (the inode stays).</summary>
    private static void InsertInMiddle(string path, SplitMix64 rng)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, bufferSize: 0);
        var middle = stream.Length / 2;
        var tail = new byte[stream.Length - middle];
        stream.Position = middle;
        stream.ReadExactly(tail);
        var inserted = new byte[100];
        rng.Fill(inserted);
        stream.Position = middle;
        stream.Write(inserted);
        stream.Write(tail);
    }
}
