using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Retention;

namespace Dupa.Cli.Commands;

public static class ForgetCommand
{
    public static Command Build()
    {
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Only print what would be dropped" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Also print every kept version and why it is kept" };
        var command = Globals.NewCommand("forget",
            "Apply the retention policy: drop old versions no rule keeps and purge trash items past their period. 'dupa gc' then frees the space.",
            "dupa forget --dry-run");
        command.Add(dryRun);
        command.Add(verbose);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var job = await RemoteCommands.RunJobAsync(remote, new Node.Api.StartJobRequest("forget", DryRun: result.GetValue(dryRun)), cancellationToken);
                    if (result.GetValue(Globals.Json))
                    {
                        Output.Json(job);
                        return ExitCodes.Ok;
                    }
                    var remoteVerb = result.GetValue(dryRun) ? "would drop" : "dropped";
                    foreach (var d in job.GetProperty("dropped").EnumerateArray())
                    {
                        Console.WriteLine($"{remoteVerb} {d.GetProperty("path").GetString()} version {d.GetProperty("version").GetString()}");
                    }
                    foreach (var p in job.GetProperty("purged").EnumerateArray())
                    {
                        Console.WriteLine($"{(result.GetValue(dryRun) ? "would purge" : "purged")} trash item {p.GetProperty("item").GetString()} {p.GetProperty("path").GetString()}");
                    }
                    Console.WriteLine($"{(result.GetValue(dryRun) ? "would forget" : "forgot")} {job.GetProperty("dropped").GetArrayLength()} version(s) and {(result.GetValue(dryRun) ? "purge" : "purged")} {job.GetProperty("purged").GetArrayLength()} trash item(s)");
                    return ExitCodes.Ok;
                }
            }
            var dry = result.GetValue(dryRun);
            using var vault = Globals.Open(result, writable: !dry);
            var plan = Forgetter.Plan(vault.State, vault.Time.GetUtcNow());
            var dropped = plan.Dropped.ToList();
            var purged = plan.Purged.ToList();
            var outcome = dry ? null : Forgetter.Apply(vault, plan);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new ForgetJson(
                    dry,
                    plan.Versions.Select(v => new ForgetVersionJson(v.Path, v.Version.Ref.ToString(), v.Version.Time.Time, v.Version.Size, v.Keep, v.KeptBecause)),
                    plan.Trash.Select(t => new ForgetTrashJson(t.Item.Id.Short, t.Item.Path, t.ExpiredAt, t.Purge, t.LockedUntil > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(t.LockedUntil) : null)),
                    dropped.Count,
                    purged.Count));
                return ExitCodes.Ok;
            }
            var verb = dry ? "would drop" : "dropped";
            foreach (var group in plan.Versions.GroupBy(v => v.Path))
            {
                var rule = vault.State.Policy.RuleFor(group.Key);
                foreach (var v in group.Where(v => !v.Keep || result.GetValue(verbose)))
                {
                    Console.WriteLine(v.Keep
                        ? $"keep {v.Path} stored {Output.Time(v.Version.Time.Time)}: {string.Join(", ", v.KeptBecause)}"
                        : $"{verb} {v.Path} stored {Output.Time(v.Version.Time.Time)} ({Output.Size(v.Version.Size)}): no bucket of the rule for {rule?.Prefix} ({rule}) keeps it");
                }
            }
            foreach (var t in plan.Trash)
            {
                Console.WriteLine(t.Purge
                    ? $"{(dry ? "would purge" : "purged")} trash item {t.Item.Id.Short} {t.Item.Path}: in the trash since {Output.Time(t.Item.DeletedAt.Time)}, longer than {vault.State.Policy.TrashDays} days"
                    : $"keep trash item {t.Item.Id.Short} {t.Item.Path}: a write-once lock protects it until {Output.Time(DateTimeOffset.FromUnixTimeMilliseconds(t.LockedUntil))}");
            }
            Console.WriteLine($"{(dry ? "would forget" : "forgot")} {dropped.Count} version(s) ({Output.Size(dropped.Sum(d => d.Version.Size))}) and {(dry ? "purge" : "purged")} {purged.Count} trash item(s)"
                + (outcome is { VersionsForgotten: > 0 } or { TrashItemsPurged: > 0 } ? "; run 'dupa gc' to free the space" : ""));
            return ExitCodes.Ok;
        });
        return command;
    }
}
