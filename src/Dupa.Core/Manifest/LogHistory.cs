using Dupa.Core.Files;

namespace Dupa.Core.Manifest;

/// <summary>One operation of the log, described for people: when, which device, what, and the paths it touched.</summary>
public sealed record LogRecord(Hlc Time, Crypto.DeviceId Device, long Sequence, int Index, string Action, string Summary, IReadOnlyList<string> Paths);

/// <summary><c>dupa log</c>: every operation of every device, newest first, optionally only those touching a path.</summary>
public static class LogHistory
{
    public static IEnumerable<LogRecord> Records(IEnumerable<FoldEntry> entries, string? path = null)
    {
        var under = path is null ? null : VaultPath.Parse(path);
        foreach (var entry in entries.OrderByDescending(e => e, VaultState.FoldOrder.Instance))
        {
            var ops = entry.Ops ?? [];
            for (var i = ops.Count - 1; i >= 0; i--)
            {
                if (Describe(ops[i]) is not var (action, summary, paths))
                {
                    continue;
                }
                // A path's history: what touched it or anything below it, and the moves and deletions of its parents.
                if (under is not null && !paths.Any(p => p is not null && (VaultPath.IsAtOrBelow(p, under) || (action is "move" or "trash" && VaultPath.IsAtOrBelow(under, p)))))
                {
                    continue;
                }
                yield return new LogRecord(entry.Clock, entry.Device, entry.Sequence, i, action, summary, paths);
            }
        }
    }

    private static (string Action, string Summary, string[] Paths)? Describe(Operation? op) => op switch
    {
        PutOp { Type: NodeType.Directory } put => ("mkdir", put.Path, [put.Path]),
        PutOp { Type: NodeType.Symlink } put => ("symlink", $"{put.Path} -> {put.Target}", [put.Path]),
        PutOp put => ("put", $"{put.Path} ({put.Size} bytes)", [put.Path]),
        TrashOp trash => ("trash", trash.Path, [trash.Path]),
        RestoreOp restore => ("restore", $"item {restore.Item} to {restore.Path}", [restore.Path]),
        MoveOp move => ("move", $"{move.From} -> {move.To}", [move.From, move.To]),
        PurgeOp purge => ("purge", $"trash item {purge.Item}", []),
        ForgetOp forget => ("forget", $"{forget.Versions?.Count ?? 0} old version(s)", []),
        TagOp tag => ("tag", $"{tag.Path} {string.Join(' ', (tag.Add ?? []).Select(t => "+" + t).Concat((tag.Remove ?? []).Select(t => "-" + t)))}", [tag.Path]),
        PolicyOp => ("policy", "retention policy changed", []),
        LockOp lockOp => ("lock", $"{lockOp.Prefix} until {Retention.Forgetter.FormatTime(lockOp.Until)}", [lockOp.Prefix]),
        DeviceOp device => ("device", $"device {device.Device[..Math.Min(12, device.Device.Length)]} joined", []),
        KeyOp key => ("key", $"vault key rotated (epoch {key.Epoch})", []),
        _ => null,
    };
}
