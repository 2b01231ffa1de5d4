using System.Globalization;
using System.Text;

namespace Dupa.Corpus;

/// <summary>
/// Turns the raw timings of bench/compare.sh (raw.tsv: trial, tool, metric, value), the ceilings
/// (ceilings.tsv: name, MiB/s) and the run's description (meta.tsv: key, value) into the Markdown table:
/// medians with min–max, the ratio of D.U.P.A's median to restic's and borg's, and each target of issue 8 as
/// met or missed.
/// </summary>
internal static class Report
{
    private sealed record Metric(string Key, string Label, string Unit, bool HigherIsBetter);

    private static readonly Metric[] Metrics =
    [
        new("put_mibs", "first put, throughput", "MiB/s", true),
        new("put_cpu_s", "first put, CPU (user + sys)", "s", false),
        new("put_rss_mib", "first put, peak RSS", "MiB", false),
        new("put2_s", "unchanged second put", "s", false),
        new("change_s", "change set put", "s", false),
        new("change_rm_s", "recording the 50 deletions (dupa rm; restic and borg see them in the put)", "s", false),
        new("change_added_mb", "change set, bytes added to the store", "MB", false),
        new("restore_mibs", "full restore (checked byte for byte), until the command returns", "MiB/s", true),
        new("restore_synced_mibs", "full restore, until it is on disk (the command, then sync)", "MiB/s", true),
        new("verify_s", "full verify (reads every byte)", "s", false),
        new("stored_mb", "stored size after all puts", "MB", false),
    ];

    private static readonly string[] Tools = ["dupa", "restic", "borg"];

    public static string Build(string directory)
    {
        var inv = CultureInfo.InvariantCulture;
        var raw = new Dictionary<(string Tool, string Metric), List<double>>();
        foreach (var line in File.ReadLines(Path.Combine(directory, "raw.tsv")))
        {
            var f = line.Split('\t');
            if (f.Length == 4 && double.TryParse(f[3], inv, out var value))
            {
                var key = (f[1], f[2]);
                if (!raw.TryGetValue(key, out var list))
                {
                    raw[key] = list = [];
                }
                list.Add(value);
            }
        }
        var ceilings = ReadPairs(Path.Combine(directory, "ceilings.tsv")).ToDictionary(p => p.Key, p => double.Parse(p.Value, inv), StringComparer.Ordinal);
        var meta = ReadPairs(Path.Combine(directory, "meta.tsv"));

        double? Median(string tool, string metric) => raw.TryGetValue((tool, metric), out var v) && v.Count > 0 ? MedianOf(v) : null;
        string Cell(string tool, string metric)
        {
            if (!raw.TryGetValue((tool, metric), out var v) || v.Count == 0)
            {
                return "–";
            }
            return v.Count == 1 ? Format(v[0]) : $"{Format(MedianOf(v))} ({Format(v.Min())}–{Format(v.Max())})";
        }
        string Ratio(string metric, string other)
        {
            var a = Median("dupa", metric);
            var b = Median(other, metric);
            return a is null || b is null || b == 0 ? "–" : $"{a / b:F2}×";
        }

        var md = new StringBuilder();
        md.AppendLine(CultureInfo.InvariantCulture, $"Corpus {Get(meta, "corpus_mib")} MiB ({Get(meta, "corpus_files")} files, scale {Get(meta, "scale")}), {Get(meta, "trials")} trials, tools alternating; medians with min–max. {Get(meta, "caches")}");
        md.AppendLine();
        md.AppendLine("| figure | D.U.P.A | restic | borg | D.U.P.A ÷ restic | D.U.P.A ÷ borg |");
        md.AppendLine("| --- | --- | --- | --- | --- | --- |");
        foreach (var m in Metrics)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {m.Label} ({m.Unit}, {(m.HigherIsBetter ? "higher" : "lower")} is better) | {Cell("dupa", m.Key)} | {Cell("restic", m.Key)} | {Cell("borg", m.Key)} | {Ratio(m.Key, "restic")} | {Ratio(m.Key, "borg")} |");
        }
        md.AppendLine();
        md.AppendLine(CultureInfo.InvariantCulture, $"Versions: {Get(meta, "versions")}. Stored sizes are `du -sb` of the repository (D.U.P.A's includes its SQLite index; restic's and borg's caches live outside their repositories and are not counted). MB = 10^6 bytes, MiB = 2^20.");

        // The ceilings: one core each; the pipeline's per-byte cost is the sum of its steps' costs.
        md.AppendLine();
        md.AppendLine("Ceilings of this machine, measured in the same run (one core each):");
        md.AppendLine();
        md.AppendLine("| step | MiB/s |");
        md.AppendLine("| --- | --- |");
        foreach (var (name, value) in ceilings)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {name} | {Format(value)} |");
        }
        var textFraction = double.Parse(Get(meta, "text_fraction", "0"), inv);
        var cores = int.Parse(Get(meta, "cores", "1"), inv);
        double? pipeline = null;
        if (ceilings.TryGetValue("fastcdc", out var cdc) && ceilings.TryGetValue("hmac-sha256", out var hmac) && ceilings.TryGetValue("aes-256-gcm", out var aes)
            && ceilings.TryGetValue("zstd -2, text", out var zText) && ceilings.TryGetValue("zstd -2, random", out var zRandom))
        {
            var perByte = (1 / cdc) + (1 / hmac) + (1 / aes) + (textFraction / zText) + ((1 - textFraction) / zRandom);
            var oneCore = 1 / perByte;
            pipeline = oneCore * cores;
            var disk = ceilings.TryGetValue("sequential write + fsync", out var d) ? d : double.MaxValue;
            pipeline = Math.Min(pipeline.Value, disk);
            md.AppendLine();
            md.AppendLine(CultureInfo.InvariantCulture, $"Put pipeline (cut + chunk ID + zstd -2, the level D.U.P.A writes, on this corpus's mix, {textFraction:P0} text + AES-256-GCM): {Format(oneCore)} MiB/s on one core; ceiling with {cores} cores and the fsynced disk: **{Format(pipeline.Value)} MiB/s**.");
            var put = Median("dupa", "put_mibs");
            if (put is not null)
            {
                md.AppendLine(CultureInfo.InvariantCulture, $"D.U.P.A's first put runs at **{put.Value / pipeline.Value:P0}** of that ceiling.");
            }
        }

        md.AppendLine();
        md.AppendLine("Targets of issue 8 (on medians of this run):");
        md.AppendLine();
        md.AppendLine("| target | measured | met? |");
        md.AppendLine("| --- | --- | --- |");
        void Target(string label, double? value, Func<double, bool> met, string format)
        {
            md.AppendLine(CultureInfo.InvariantCulture, $"| {label} | {(value is null ? "–" : string.Format(inv, format, value))} | {(value is null ? "not measured" : met(value.Value) ? "**met**" : "**missed**")} |");
        }
        double? RatioOf(string metric) => Median("dupa", metric) is { } a && Median("restic", metric) is { } b && b != 0 ? a / b : null;
        Target("first put ≥ 3× restic's throughput", RatioOf("put_mibs"), r => r >= 3, "{0:F2}× restic");
        Target("first put ≥ ½ of the pipeline's ceiling", pipeline is null ? null : Median("dupa", "put_mibs") / pipeline, r => r >= 0.5, "{0:P0} of the ceiling");
        Target("unchanged second put ≤ ½ of restic's time", RatioOf("put2_s"), r => r <= 0.5, "{0:F2}× restic's time");
        Target("change set stores no more than restic", RatioOf("change_added_mb"), r => r <= 1, "{0:F2}× restic's bytes");
        Target("total stored size no more than restic", RatioOf("stored_mb"), r => r <= 1, "{0:F2}× restic's size");
        Target("restore ≥ 2× restic's throughput, until the files are on disk", RatioOf("restore_synced_mibs"), r => r >= 2, "{0:F2}× restic");
        Target("restore ≥ 2× restic's throughput, until the command returns (restic's files still in memory)", RatioOf("restore_mibs"), r => r >= 2, "{0:F2}× restic");
        Target("verify ≥ 2× faster than restic check --read-data", RatioOf("verify_s"), r => r <= 0.5, "{0:F2}× restic's time");
        Target("peak RSS of a put ≤ restic's", RatioOf("put_rss_mib"), r => r <= 1, "{0:F2}× restic's RSS");
        return md.ToString();
    }

    private static double MedianOf(List<double> values)
    {
        var sorted = values.Order().ToList();
        var n = sorted.Count;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[(n / 2) - 1] + sorted[n / 2]) / 2;
    }

    private static string Format(double value) => value switch
    {
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F1", CultureInfo.InvariantCulture),
        _ => value.ToString("F2", CultureInfo.InvariantCulture),
    };

    private static string Get(Dictionary<string, string> meta, string key, string fallback = "?") => meta.TryGetValue(key, out var v) ? v : fallback;

    private static Dictionary<string, string> ReadPairs(string path)
    {
        var pairs = new Dictionary<string, string>(StringComparer.Ordinal);
        if (File.Exists(path))
        {
            foreach (var line in File.ReadLines(path))
            {
                var tab = line.IndexOf('\t', StringComparison.Ordinal);
                if (tab > 0)
                {
                    pairs[line[..tab]] = line[(tab + 1)..];
                }
            }
        }
        return pairs;
    }
}
