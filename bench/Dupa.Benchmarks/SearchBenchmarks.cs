using BenchmarkDotNet.Attributes;
using Dupa.Core.Crypto;
using Dupa.Core.Manifest;
using Dupa.Core.Search;

namespace Dupa.Benchmarks;

/// <summary>
/// Search and listing on a vault of one million files (docs/search.md): 100 top directories × 100 directories ×
/// 100 files, plus one directory of 10,000 files. The state is folded from synthetic log entries (1,000 puts
/// each), as a vault's open does after decrypting its logs.
/// </summary>
[MemoryDiagnoser]
public class SearchBenchmarks
{
    private static readonly string[] Extensions = [".jpg", ".png", ".txt", ".pdf", ".mp4", ".docx", ".json", ".md"];
    private static readonly string[] Mimes = ["image/jpeg", "image/png", "text/plain", "application/pdf", "video/mp4", "application/zip", "text/plain", "text/plain"];

    private List<FoldEntry> _entries = [];
    private VaultState _state = null!;

    [GlobalSetup]
    public void Setup()
    {
        _entries = Entries();
        _state = VaultState.Fold(_entries);
        // Searches after the first reuse the lower-cased paths; the first pays for them once.
        FileSearch.Run(_state, new FileQuery { Name = "warm-up" });
    }

    [Benchmark(Description = "fold 1,010,000 puts into a state")]
    public int Fold() => VaultState.Fold(_entries).Nodes.Count;

    [Benchmark(Description = "find a name (substring, 1 hit)")]
    public int FindName() => FileSearch.Run(_state, new FileQuery { Name = "report-4711" }).Total;

    [Benchmark(Description = "find two words in path components")]
    public int FindWords() => FileSearch.Run(_state, new FileQuery { Name = "album-42 holiday-07" }).Total;

    [Benchmark(Description = "find a glob (*.pdf, 126,250 hits, first page)")]
    public int FindGlob() => FileSearch.Run(_state, new FileQuery { Name = "*.pdf" }).Total;

    [Benchmark(Description = "find images over 1 MiB by size (first page)")]
    public int FindTypeAndSize() => FileSearch.Run(_state, new FileQuery { Type = "image", MinSize = 1 << 20, Sort = SearchSort.Size, Descending = true }).Total;

    [Benchmark(Description = "ls a directory of 10,000 entries")]
    public int ListLargeDirectory() => _state.Children("/big").Count;

    [Benchmark(Description = "ls a directory of 100 entries")]
    public int ListDirectory() => _state.Children("/album-42/holiday-07").Count;

    private static List<FoldEntry> Entries()
    {
        var device = new DeviceId(Enumerable.Repeat((byte)0x42, 32).ToArray());
        var entries = new List<FoldEntry>();
        var ops = new List<Operation>();
        long sequence = 0;
        var n = 0;
        void Add(string path)
        {
            var kind = n % Extensions.Length;
            ops.Add(new PutOp(path + Extensions[kind], NodeType.File, (n * 7919L) % (4 << 20), 1_600_000_000_000_000_000L + (n * 1_000_000_000L), 0x1A4)
            {
                Chunks = [],
                Mime = Mimes[kind],
            });
            n++;
            if (ops.Count == 1000)
            {
                sequence++;
                entries.Add(new FoldEntry(device, sequence, new Hlc(1_700_000_000_000 + sequence, 0), ops));
                ops = [];
            }
        }
        for (var a = 0; a < 100; a++)
        {
            for (var h = 0; h < 100; h++)
            {
                for (var f = 0; f < 100; f++)
                {
                    Add($"/album-{a:00}/holiday-{h:00}/{(f == 11 ? $"report-{a:00}{h:00}" : $"img-{f:000}")}");
                }
            }
        }
        for (var f = 0; f < 10_000; f++)
        {
            Add($"/big/file-{f:00000}");
        }
        return entries;
    }
}
