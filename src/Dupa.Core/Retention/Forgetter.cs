using System.Globalization;
using Dupa.Core.Manifest;
using Dupa.Core.Vaults;

namespace Dupa.Core.Retention;

/// <summary>What the policy says about one old version of a file: kept (and why), or dropped.</summary>
public sealed record VersionDecision(string Path, FileVersion Version, IReadOnlyList<string> KeptBecause)
{
    public bool Keep => KeptBecause.Count > 0;
}

/// <summary>A trash item past its period, purged unless a write-once lock still protects it.</summary>
public sealed record TrashDecision(TrashItem Item, DateTimeOffset ExpiredAt, long LockedUntil)
{
    public bool Purge => LockedUntil == 0;
}

/// <summary>Everything <c>forget</c> would do at one moment, decided before anything is written.</summary>
public sealed record ForgetPlan(DateTimeOffset Now, IReadOnlyList<VersionDecision> Versions, IReadOnlyList<TrashDecision> Trash)
{
    public IEnumerable<VersionDecision> Dropped => Versions.Where(v => !v.Keep);

    public IEnumerable<TrashItem> Purged => Trash.Where(t => t.Purge).Select(t => t.Item);
}

public sealed record ForgetResult(int VersionsForgotten, int TrashItemsPurged, long LogicalBytesDropped);

/// <summary>
/// <c>dupa forget</c>: applies the vault's retention policy (docs/retention.md). Old versions of live files are
/// kept or dropped by the rule for their path; trash items older than the trash period are purged. The current
/// version of a file is always kept, and nothing a write-once lock protects is touched. Forgetting only drops
/// references: <c>gc</c> frees the space.
/// </summary>
public static class Forgetter
{
    /// <summary>How many version refs one log entry carries at most.</summary>
    private const int BatchSize = 4096;

    public static ForgetPlan Plan(VaultState state, DateTimeOffset now)
    {
        var policy = state.Policy;
        var nowMs = now.ToUnixTimeMilliseconds();
        var versions = new List<VersionDecision>();
        foreach (var node in state.Nodes.Where(n => n.Type != NodeType.Directory && n.Versions.Count > 1).OrderBy(n => n.Path, StringComparer.Ordinal))
        {
            if (policy.RuleFor(node.Path) is not { } rule)
            {
                continue;
            }
            var newestFirst = node.Versions.OrderByDescending(v => v.Time).ToList();
            var reasons = Decide(newestFirst, rule, now);
            var lockedUntil = state.LockedUntil(node.Path, nowMs);
            for (var i = 0; i < newestFirst.Count; i++)
            {
                if (reasons[i].Count == 0 && lockedUntil > 0)
                {
                    reasons[i].Add($"write-once lock until {FormatTime(lockedUntil)}");
                }
                versions.Add(new VersionDecision(node.Path, newestFirst[i], reasons[i]));
            }
        }
        var trash = new List<TrashDecision>();
        if (policy.TrashDays > 0)
        {
            foreach (var item in state.Trash.OrderBy(t => t.DeletedAt))
            {
                var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(item.DeletedAt.WallMs).AddDays(policy.TrashDays);
                if (expiresAt <= now)
                {
                    trash.Add(new TrashDecision(item, expiresAt, state.LockedUntil(item.Path, nowMs, subtree: true)));
                }
            }
        }
        return new ForgetPlan(now, versions, trash);
    }

    /// <summary>
    /// Why each version (newest first) is kept under <paramref name="rule"/>, as restic's <c>forget</c> decides:
    /// each bucket kind keeps the newest version of each of its last N periods that have a version.
    /// </summary>
    public static List<string>[] Decide(IReadOnlyList<FileVersion> newestFirst, KeepRule rule, DateTimeOffset now)
    {
        var reasons = newestFirst.Select(_ => new List<string>()).ToArray();
        if (reasons.Length == 0)
        {
            return reasons;
        }
        reasons[0].Add("current");
        for (var i = 0; i < Math.Min(rule.Last, reasons.Length); i++)
        {
            reasons[i].Add($"last {rule.Last}");
        }
        if (rule.WithinDays > 0)
        {
            var since = now.AddDays(-rule.WithinDays).ToUnixTimeMilliseconds();
            for (var i = 0; i < reasons.Length; i++)
            {
                if (newestFirst[i].Time.WallMs >= since)
                {
                    reasons[i].Add($"within {rule.WithinDays} days");
                }
            }
        }
        Bucket(rule.Hourly, "hourly", t => t.ToString("yyyy-MM-dd HH", CultureInfo.InvariantCulture));
        Bucket(rule.Daily, "daily", t => t.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Bucket(rule.Weekly, "weekly", t => string.Create(CultureInfo.InvariantCulture, $"{ISOWeek.GetYear(t.UtcDateTime)}-W{ISOWeek.GetWeekOfYear(t.UtcDateTime):00}"));
        Bucket(rule.Monthly, "monthly", t => t.ToString("yyyy-MM", CultureInfo.InvariantCulture));
        Bucket(rule.Yearly, "yearly", t => t.ToString("yyyy", CultureInfo.InvariantCulture));
        return reasons;

        void Bucket(int count, string label, Func<DateTimeOffset, string> period)
        {
            string? last = null;
            for (var i = 0; i < newestFirst.Count && count > 0; i++)
            {
                var key = period(DateTimeOffset.FromUnixTimeMilliseconds(newestFirst[i].Time.WallMs));
                if (key != last)
                {
                    reasons[i].Add($"{label} {key}");
                    last = key;
                    count--;
                }
            }
        }
    }

    /// <summary>Writes the plan: forget ops for the dropped versions, purge ops for the expired trash.</summary>
    public static ForgetResult Apply(Vault vault, ForgetPlan plan)
    {
        var dropped = plan.Dropped.ToList();
        foreach (var batch in dropped.Chunk(BatchSize))
        {
            vault.Append([new ForgetOp([.. batch.Select(d => d.Version.Ref.ToString())])]);
        }
        var purged = plan.Purged.ToList();
        foreach (var batch in purged.Chunk(BatchSize))
        {
            vault.Append([.. batch.Select(t => (Operation)new PurgeOp(t.Id.ToString()))]);
        }
        return new ForgetResult(dropped.Count, purged.Count, dropped.Sum(d => d.Version.Size));
    }

    /// <summary>Purges the trash items past the policy's period: what write commands do on their way out.</summary>
    public static int ExpireTrash(Vault vault)
    {
        var plan = Plan(vault.State, vault.Time.GetUtcNow());
        return Apply(vault, plan with { Versions = [] }).TrashItemsPurged;
    }

    public static string FormatTime(long unixMs) =>
        DateTimeOffset.FromUnixTimeMilliseconds(unixMs).ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
