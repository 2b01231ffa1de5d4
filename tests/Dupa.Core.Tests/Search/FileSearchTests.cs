using System.Text.RegularExpressions;
using Dupa.Core.Crypto;
using Dupa.Core.Manifest;
using Dupa.Core.Search;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;
using Dupa.Testing;

namespace Dupa.Core.Tests.Search;

public sealed class FileSearchTests
{
    private static readonly DeviceId Device = new(Enumerable.Repeat((byte)0xCC, 32).ToArray());
    private static readonly string[] Words = ["Photo", "beach", "2023", "notes", "ÄPFEL", "tax", "report", "img", "x"];
    private static readonly string[] Extensions = [".jpg", ".JPG", ".png", ".txt", ".pdf", "", ".tar.gz"];
    private static readonly string[] Mimes = ["image/jpeg", "image/png", "text/plain", "application/pdf", "application/octet-stream"];
    private static readonly string[] TagPool = ["family", "Work", "2023", "todo"];

    [Fact]
    public void Run_OnRandomTreesAndQueries_MatchesABruteForceFilter()
    {
        var random = new SeededRandom(777);
        var nonEmpty = 0;
        for (var tree = 0; tree < 25; tree++)
        {
            var state = VaultState.Fold(RandomTree(random, 150));
            for (var q = 0; q < 40; q++)
            {
                var query = RandomQuery(random);
                var all = FileSearch.Run(state, query with { Offset = 0, Limit = int.MaxValue });
                var expected = BruteForce(state, query);
                var context = $"seed {random.Seed}, tree {tree}, query {query}";
                Assert.True(expected.SetEquals(all.Hits.Select(Key)), context + $"\nexpected {string.Join(", ", expected.Order())}\nactual {string.Join(", ", all.Hits.Select(Key).Order())}");
                Assert.Equal(expected.Count, all.Total);
                nonEmpty += expected.Count > 0 ? 1 : 0;

                // Paging walks the same sorted list.
                var page = FileSearch.Run(state, query with { Offset = 3, Limit = 5 });
                Assert.Equal(all.Hits.Skip(3).Take(5).Select(Key), page.Hits.Select(Key));
                Assert.True(IsSorted(all.Hits, query.Sort, query.Descending), context);
            }
        }
        Assert.True(nonEmpty > 300, $"only {nonEmpty} of 1000 queries found anything: the generator is too narrow to test much");
    }

    [Fact]
    public void Find_InARealVault_UsesTheSniffedTypeAndTags_ThroughMovesAndTheTrash()
    {
        using var vault = new TestVault();
        vault.WriteSource("pics/holiday.dat", [0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]);
        vault.WriteSource("pics/readme.jpg", "not a picture, just text"u8.ToArray());
        vault.Put(Path.Combine(vault.Source, "pics"));
        using var opened = vault.Open(writable: true);
        TagCommands.Change(opened, ["/pics/holiday.dat"], ["Family", "2023"], []);
        FileCommands.Move(opened, "/pics/holiday.dat", "/pics/2023/sea.dat");

        var images = FileSearch.Run(opened.State, new FileQuery { Type = "image" });
        Assert.Equal("/pics/2023/sea.dat", Assert.Single(images.Hits).Path);
        Assert.Equal("/pics/readme.jpg", Assert.Single(FileSearch.Run(opened.State, new FileQuery { Type = ".jpg" }).Hits).Path);
        Assert.Single(FileSearch.Run(opened.State, new FileQuery { Tags = ["family"] }).Hits);

        TagCommands.Change(opened, ["/pics/readme.jpg"], ["notes", "2023"], []);
        Assert.Equal([("2023", 2), ("Family", 1), ("notes", 1)], TagCommands.Counts(opened.State));
        Assert.Empty(opened.State.Get("/pics")!.Tags);

        TagCommands.Change(opened, ["/pics/2023/sea.dat"], [], ["2023"]);
        Assert.Equal(["Family"], opened.State.Get("/pics/2023/sea.dat")!.Tags);
        TrashCommands.Remove(opened, "/pics/2023");
        // What is in the trash is counted no more.
        Assert.Equal([("2023", 1), ("notes", 1)], TagCommands.Counts(opened.State));
        TagCommands.Change(opened, ["/pics/readme.jpg"], [], ["notes", "2023"]);
        Assert.Empty(opened.State.Get("/pics/readme.jpg")!.Tags);
        Assert.Empty(TagCommands.Counts(opened.State));
        Assert.Empty(FileSearch.Run(opened.State, new FileQuery { Tags = ["family"] }).Hits);
        var trashed = Assert.Single(FileSearch.Run(opened.State, new FileQuery { Tags = ["family"], Trash = true }).Hits);
        Assert.Equal(HitSource.Trash, trashed.Source);
    }

    private static string Key(SearchHit hit) => $"{hit.Path}#{hit.VersionNumber}@{hit.Source}{hit.TrashItem}";

    private static HashSet<string> BruteForce(VaultState state, FileQuery query)
    {
        var candidates = new List<(TreeNode Node, string Path, FileVersion Version, int Number, HitSource Source, OpRef? Item)>();
        foreach (var node in state.Nodes)
        {
            for (var n = node.Versions.Count; n >= 1; n--)
            {
                if (n == node.Versions.Count || query.History)
                {
                    candidates.Add((node, node.Path, node.Versions[n - 1], n, n == node.Versions.Count ? HitSource.Current : HitSource.OldVersion, null));
                }
            }
        }
        if (query.Trash)
        {
            foreach (var (item, node) in state.Trash.SelectMany(t => t.Nodes.Select(n => (t.Id, n))))
            {
                for (var n = node.Versions.Count; n >= 1; n--)
                {
                    if (n == node.Versions.Count || query.History)
                    {
                        candidates.Add((node, node.Path, node.Versions[n - 1], n, HitSource.Trash, item));
                    }
                }
            }
        }
        var result = new HashSet<string>();
        foreach (var c in candidates)
        {
            var components = c.Path.Split('/', StringSplitOptions.RemoveEmptyEntries);
            var ok = c.Path == query.Under || c.Path.StartsWith(query.Under.TrimEnd('/') + "/", StringComparison.Ordinal);
            foreach (var term in (query.Name ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                if (term.Contains('*'))
                {
                    var regex = new Regex("^" + Regex.Escape(term).Replace("\\*", ".*", StringComparison.Ordinal) + "$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
                    ok &= components.Any(regex.IsMatch);
                }
                else
                {
                    ok &= components.Any(p => p.ToLowerInvariant().Contains(term.ToLowerInvariant(), StringComparison.Ordinal));
                }
            }
            var fileFilter = query.Type is not null && query.Type is not ("file" or "dir") || query.MinSize is not null || query.MaxSize is not null || query.ModifiedFrom is not null;
            if (fileFilter)
            {
                ok &= c.Node.Type == NodeType.File;
            }
            ok &= query.Type switch
            {
                null => true,
                "file" => c.Node.Type == NodeType.File,
                "dir" => c.Node.Type == NodeType.Directory,
                "image" => c.Version.Mime?.StartsWith("image/", StringComparison.Ordinal) == true,
                "image/png" => c.Version.Mime == "image/png",
                var ext => c.Path.EndsWith("." + ext.TrimStart('.'), StringComparison.OrdinalIgnoreCase),
            };
            ok &= c.Version.Size >= (query.MinSize ?? 0) && c.Version.Size <= (query.MaxSize ?? long.MaxValue);
            ok &= query.ModifiedFrom is not { } from || c.Version.MtimeNs >= from.ToUnixTimeMilliseconds() * 1_000_000;
            ok &= query.Tags.All(t => c.Node.Tags.Any(n => string.Equals(n, t, StringComparison.OrdinalIgnoreCase)));
            if (ok)
            {
                result.Add($"{c.Path}#{c.Number}@{c.Source}{c.Item}");
            }
        }
        return result;
    }

    private static bool IsSorted(IReadOnlyList<SearchHit> hits, SearchSort sort, bool descending)
    {
        for (var i = 1; i < hits.Count; i++)
        {
            var c = sort switch
            {
                SearchSort.Size => hits[i - 1].Version.Size.CompareTo(hits[i].Version.Size),
                SearchSort.Modified => hits[i - 1].Version.MtimeNs.CompareTo(hits[i].Version.MtimeNs),
                SearchSort.Name => string.Compare(hits[i - 1].Name, hits[i].Name, StringComparison.OrdinalIgnoreCase),
                _ => string.CompareOrdinal(hits[i - 1].Path, hits[i].Path),
            };
            if (descending ? c < 0 : c > 0)
            {
                return false;
            }
        }
        return true;
    }

    private static FileQuery RandomQuery(SeededRandom random)
    {
        string? Pick(string?[] options) => options[random.Next(0, options.Length)];
        var name = random.Next(0, 3) switch
        {
            0 => null,
            1 => Pick(["photo", "BEACH", "äpfel", "2023 img", "e", "tax report", ".jpg"]),
            _ => Pick(["*.jpg", "img*", "*a*", "notes*.txt", "*2023*"]),
        };
        return new FileQuery
        {
            Name = name,
            Type = random.Next(0, 3) == 0 ? Pick(["file", "dir", "image", "image/png", ".pdf", ".gz", "jpg"]) : null,
            MinSize = random.Next(0, 4) == 0 ? random.Next(0, 5000) : null,
            MaxSize = random.Next(0, 4) == 0 ? random.Next(5000, 10000) : null,
            ModifiedFrom = random.Next(0, 4) == 0 ? DateTimeOffset.FromUnixTimeSeconds(random.Next(0, 1000)) : null,
            Tags = random.Next(0, 4) == 0 ? [TagPool[random.Next(0, TagPool.Length)].ToUpperInvariant()] : [],
            Under = random.Next(0, 4) == 0 ? "/" + Words[random.Next(0, Words.Length)] : "/",
            History = random.Next(0, 2) == 0,
            Trash = random.Next(0, 2) == 0,
            Sort = (SearchSort)random.Next(0, 4),
            Descending = random.Next(0, 2) == 0,
        };
    }

    private static List<FoldEntry> RandomTree(SeededRandom random, int operations)
    {
        var entries = new List<FoldEntry>();
        var paths = new List<string>();
        for (var i = 1; i <= operations; i++)
        {
            Operation op;
            var roll = random.Next(0, 10);
            if (roll < 6 || paths.Count == 0)
            {
                var depth = random.Next(1, 4);
                var parts = Enumerable.Range(0, depth).Select(_ => Words[random.Next(0, Words.Length)] + (random.Next(0, 3) == 0 ? random.Next(0, 9).ToString(System.Globalization.CultureInfo.InvariantCulture) : "")).ToList();
                parts[^1] += Extensions[random.Next(0, Extensions.Length)];
                var path = "/" + string.Join('/', parts);
                paths.Add(path);
                op = new PutOp(path, NodeType.File, random.Next(0, 10000), random.Next(0, 1000) * 1_000_000_000L, 0x1A4) { Chunks = [], Mime = Mimes[random.Next(0, Mimes.Length)] };
            }
            else if (roll < 8)
            {
                op = new TagOp(paths[random.Next(0, paths.Count)], [TagPool[random.Next(0, TagPool.Length)]], null);
            }
            else if (roll < 9)
            {
                op = new TrashOp(paths[random.Next(0, paths.Count)]);
            }
            else
            {
                // Directories can be tagged too.
                op = new TagOp("/" + Words[random.Next(0, Words.Length)], [TagPool[random.Next(0, TagPool.Length)]], null);
            }
            entries.Add(new FoldEntry(Device, i, new Hlc(i * 1000L, 0), [op]));
        }
        return entries;
    }
}
