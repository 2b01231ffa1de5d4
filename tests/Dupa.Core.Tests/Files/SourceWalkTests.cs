using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Testing;

namespace Dupa.Core.Tests.Files;

public sealed class SourceWalkTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("dupa-walk-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public async Task Walk_OfARandomTree_IsTheSequentialDepthFirstOrder(int seed)
    {
        var random = new SeededRandom((ulong)seed);
        var a = Path.Combine(_root, "a");
        var b = Path.Combine(_root, "b");
        MakeTree(a, random, depth: 0);
        MakeTree(b, random, depth: 2);
        File.WriteAllText(Path.Combine(_root, "loose.txt"), "x");
        var sources = new[] { b, Path.Combine(_root, "loose.txt"), a };
        var exclude = new PathFilter(["*.skip", "d1/**"]);

        var found = await SourceWalk.Start(sources, "/to", exclude).FoundAsync();

        var expected = new List<(string, string, NodeType)>();
        foreach (var source in sources)
        {
            Reference(source, "/to/" + Path.GetFileName(source), "", exclude, expected);
        }
        Assert.Equal(expected, found.Items.Select(i => (i.Source, i.Target, i.Type)));
        Assert.Empty(found.Errors);
        Assert.Empty(found.Warnings);
        Assert.Equal(new FileInfo(Path.Combine(_root, "loose.txt")).Length, found.Items.Single(i => i.Target == "/to/loose.txt").Size);
    }

    [Fact]
    public async Task Walk_SkipsWhatItCannotStore_WithAWarningEach_InTheWalksOrder()
    {
        var tree = Path.Combine(_root, "tree");
        Directory.CreateDirectory(Path.Combine(tree, "x", "y"));
        File.WriteAllText(Path.Combine(tree, "x", "y", "bad\nname"), "1");
        File.WriteAllText(Path.Combine(tree, "x", "bad\rname"), "2");
        File.WriteAllText(Path.Combine(tree, "x", "y", "good"), "3");

        var found = await SourceWalk.Start([tree], "/", PathFilter.None).FoundAsync();

        Assert.Equal(["/tree", "/tree/x", "/tree/x/y", "/tree/x/y/good"], found.Items.Select(i => i.Target));
        Assert.Equal(2, found.Warnings.Count);
        Assert.Contains("bad\rname", found.Warnings[0]);
        Assert.Contains("bad\nname", found.Warnings[1]);
    }

    [Fact]
    public async Task Walk_OfAMissingSource_FailsWithNotFound()
    {
        var walk = SourceWalk.Start([Path.Combine(_root, "missing")], "/", PathFilter.None);
        var error = await Assert.ThrowsAsync<DupaException>(walk.FoundAsync);
        Assert.Equal(ErrorCode.NotFound, error.Code);
    }

    private static void MakeTree(string directory, SeededRandom random, int depth)
    {
        Directory.CreateDirectory(directory);
        for (var i = random.Next(0, 12); i > 0; i--)
        {
            var name = $"f{random.Next(0, 100)}{(random.Next(0, 8) == 0 ? ".skip" : "")}";
            File.WriteAllBytes(Path.Combine(directory, name), new byte[random.Next(0, 64)]);
        }
        if (random.Next(0, 4) == 0)
        {
            File.CreateSymbolicLink(Path.Combine(directory, $"link{random.Next(0, 10)}"), "f1");
        }
        if (depth < 4)
        {
            for (var i = random.Next(0, 4); i > 0; i--)
            {
                MakeTree(Path.Combine(directory, $"d{random.Next(0, 6)}"), random, depth + 1);
            }
        }
    }

    /// <summary>The walk as it was written before it listed directories on several threads.</summary>
    private static void Reference(string source, string target, string relative, PathFilter exclude, List<(string, string, NodeType)> items)
    {
        var info = new FileInfo(source);
        var type = info.LinkTarget is not null ? NodeType.Symlink : Directory.Exists(source) ? NodeType.Directory : NodeType.File;
        items.Add((source, target, type));
        if (type != NodeType.Directory)
        {
            return;
        }
        foreach (var name in Directory.EnumerateFileSystemEntries(source).Select(Path.GetFileName).Order(StringComparer.Ordinal))
        {
            var childRelative = relative.Length == 0 ? name! : relative + "/" + name;
            if (!exclude.IsExcluded(childRelative))
            {
                Reference(Path.Combine(source, name!), target + "/" + name, childRelative, exclude, items);
            }
        }
    }
}
