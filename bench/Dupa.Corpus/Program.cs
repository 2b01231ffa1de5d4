using System.Diagnostics;
using System.Globalization;
using Dupa.Corpus;

// The corpus and report tool of bench/compare.sh and bench/sync.sh (bench/README.md):
//   generate DIR [--scale S] [--seed N]   write the corpus (about 1.1 GiB at scale 1) into an empty DIR
//   change DIR [--seed N]                 apply the change set in place; prints the deleted files
//   ceilings                              single-core MiB/s of FastCDC, SHA-256, HMAC-SHA-256, AES-256-GCM
//   report DIR                            the Markdown table from DIR/raw.tsv, ceilings.tsv and meta.tsv
const string Usage = "usage: Dupa.Corpus generate DIR [--scale S] [--seed N] | change DIR [--seed N] | ceilings | report DIR";

string? Option(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;
var seed = ulong.Parse(Option("--seed") ?? "8", CultureInfo.InvariantCulture);
switch (args.FirstOrDefault())
{
    case "generate" when args.Length >= 2:
        {
            var scale = double.Parse(Option("--scale") ?? "1", CultureInfo.InvariantCulture);
            var stopwatch = Stopwatch.StartNew();
            CorpusGenerator.Generate(Path.GetFullPath(args[1]), new CorpusLayout(scale), seed);
            Console.Error.WriteLine($"corpus written to {args[1]} in {stopwatch.Elapsed.TotalSeconds:F1} s");
            return 0;
        }
    case "change" when args.Length >= 2:
        {
            // The deleted files go to stdout, one per line: a tool without a mirror mode must be told of them.
            var deleted = new List<string>();
            Console.Error.WriteLine("change set: " + ChangeSet.Apply(Path.GetFullPath(args[1]), seed, deleted));
            deleted.ForEach(Console.WriteLine);
            return 0;
        }
    case "ceilings":
        Ceilings.Run(Console.Out);
        return 0;
    case "report" when args.Length >= 2:
        Console.Write(Report.Build(args[1]));
        return 0;
    default:
        Console.Error.WriteLine(Usage);
        return 2;
}
