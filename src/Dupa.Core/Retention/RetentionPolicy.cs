using Dupa.Core.Errors;
using Dupa.Core.Files;

namespace Dupa.Core.Retention;

/// <summary>
/// How long the vault keeps what was deleted and which old versions of files it keeps (docs/retention.md). Stored
/// in the log by a <c>policy</c> operation, so every device applies the same one.
/// </summary>
public sealed record RetentionPolicy
{
    public const int DefaultTrashDays = 30;

    public static readonly RetentionPolicy Default = new();

    /// <summary>Days a trash item is kept before <c>forget</c> purges it; 0 keeps it until the trash is emptied by hand.</summary>
    public int TrashDays { get; init; } = DefaultTrashDays;

    /// <summary>Which versions to keep, per path prefix; a file follows the rule with the longest matching prefix. No rule: keep every version.</summary>
    public IReadOnlyList<KeepRule> Rules { get; init; } = [];

    /// <summary>The rule that applies to <paramref name="path"/>, or null when every version is kept.</summary>
    public KeepRule? RuleFor(string path) =>
        Rules.Where(r => VaultPath.IsAtOrBelow(path, r.Prefix)).MaxBy(r => r.Prefix.Length);

    /// <summary>Throws <see cref="ErrorCode.InvalidInput"/> unless every field makes sense.</summary>
    public RetentionPolicy Validated()
    {
        if (TrashDays < 0)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the trash period cannot be negative");
        }
        var rules = (Rules ?? []).Select(r => r.Validated()).ToList();
        if (rules.GroupBy(r => r.Prefix, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"two rules for '{twice.Key}'");
        }
        return this with { Rules = [.. rules.OrderBy(r => r.Prefix, StringComparer.Ordinal)] };
    }
}

/// <summary>
/// Which versions of each file below <see cref="Prefix"/> to keep, as restic's <c>forget</c> does: the newest
/// <see cref="Last"/>, every version of the last <see cref="WithinDays"/> days, and the newest version in each of the
/// last N hours, days, weeks, months and years that have one (UTC). A file's current version is always kept.
/// </summary>
public sealed record KeepRule
{
    public string Prefix { get; init; } = VaultPath.Root;

    public int Last { get; init; }

    public int WithinDays { get; init; }

    public int Hourly { get; init; }

    public int Daily { get; init; }

    public int Weekly { get; init; }

    public int Monthly { get; init; }

    public int Yearly { get; init; }

    public KeepRule Validated()
    {
        int[] counts = [Last, WithinDays, Hourly, Daily, Weekly, Monthly, Yearly];
        if (counts.Any(c => c < 0))
        {
            throw new DupaException(ErrorCode.InvalidInput, "keep counts cannot be negative");
        }
        return this with { Prefix = VaultPath.Parse(Prefix ?? "") };
    }

    public override string ToString()
    {
        var parts = new List<string>();
        void Add(int count, string what)
        {
            if (count > 0)
            {
                parts.Add($"{what} {count}");
            }
        }
        Add(Last, "last");
        Add(WithinDays, "within-days");
        Add(Hourly, "hourly");
        Add(Daily, "daily");
        Add(Weekly, "weekly");
        Add(Monthly, "monthly");
        Add(Yearly, "yearly");
        return parts.Count == 0 ? "current version only" : string.Join(", ", parts);
    }
}
