using System.CommandLine;
using System.Globalization;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Retention;

namespace Dupa.Cli.Commands;

public static class PolicyCommand
{
    public static Command Build()
    {
        var command = Globals.NewCommand("policy", "Show or set how long the trash and old versions are kept.", "dupa policy set --keep-daily 7 --keep-monthly 12");
        command.Add(BuildShow());
        command.Add(BuildSet());
        return command;
    }

    private static Command BuildShow()
    {
        var command = Globals.NewCommand("show", "Show the retention policy and the write-once locks.", "dupa policy show");
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var view = await remote.Client.GetAsync<Node.Api.PolicyView>(remote.Api("policy"), cancellationToken);
                    if (result.GetValue(Globals.Json))
                    {
                        Output.Json(view);
                        return ExitCodes.Ok;
                    }
                    Print(new RetentionPolicy { TrashDays = view.TrashDays, Rules = view.Rules }, view.Locks.Select(l => (l.Prefix, l.Until, l.Active)));
                    return ExitCodes.Ok;
                }
            }
            using var vault = Globals.Open(result, writable: false);
            var policy = vault.State.Policy;
            var now = vault.NowMs;
            var locks = vault.State.Locks.OrderBy(l => l.Key, StringComparer.Ordinal)
                .Select(l => (Prefix: l.Key, Until: DateTimeOffset.FromUnixTimeMilliseconds(l.Value), Active: l.Value > now)).ToList();
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new PolicyJson(policy.TrashDays, policy.Rules, locks.Select(l => new LockStateJson(l.Prefix, l.Until, l.Active))));
                return ExitCodes.Ok;
            }
            Print(policy, locks);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(RetentionPolicy policy, IEnumerable<(string Prefix, DateTimeOffset Until, bool Active)> locks)
    {
        Console.WriteLine(policy.TrashDays > 0 ? $"trash: kept {policy.TrashDays} days" : "trash: kept until emptied by hand");
        if (policy.Rules.Count == 0)
        {
            Console.WriteLine("versions: every version is kept");
        }
        foreach (var rule in policy.Rules)
        {
            Console.WriteLine($"versions under {rule.Prefix}: keep {rule}");
        }
        foreach (var (prefix, until, active) in locks)
        {
            Console.WriteLine($"write-once lock on {prefix} until {Output.Time(until)}{(active ? "" : " (expired)")}");
        }
    }

    private static Command BuildSet()
    {
        var trashDays = new Option<string?>("--trash-days") { Description = "Days the trash keeps items before forget purges them, or 'never'", HelpName = "N|never" };
        var prefix = new Option<string>("--prefix") { Description = "The path the version rule applies to (default /: everything)", DefaultValueFactory = _ => VaultPath.Root, HelpName = "PATH" };
        var clear = new Option<bool>("--clear") { Description = "Remove the version rule for --prefix (then every version under it is kept, unless a shorter prefix has a rule)" };
        var keep = new (string Name, string Description)[]
        {
            ("last", "Keep the newest N versions"),
            ("within-days", "Keep every version of the last N days"),
            ("hourly", "Keep the newest version of each of the last N hours that have one"),
            ("daily", "... of each of the last N days"),
            ("weekly", "... of each of the last N weeks"),
            ("monthly", "... of each of the last N months"),
            ("yearly", "... of each of the last N years"),
        }.Select(k => new Option<int?>("--keep-" + k.Name) { Description = k.Description, HelpName = "N" }).ToList();
        var command = Globals.NewCommand("set", "Change the retention policy (recorded in the log; every device follows it).",
            "dupa policy set --prefix /Photos --keep-last 10 --keep-monthly 24");
        command.Add(trashDays);
        command.Add(prefix);
        command.Add(clear);
        keep.ForEach(command.Add);
        command.SetAction(async (result, cancellationToken) =>
        {
            // The options change the current policy: only what is given changes.
            RetentionPolicy Changed(RetentionPolicy policy)
            {
                if (result.GetValue(trashDays) is { } days)
                {
                    policy = policy with { TrashDays = days == "never" ? 0 : int.TryParse(days, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : throw new DupaException(ErrorCode.InvalidInput, "--trash-days takes a positive number of days or 'never'") };
                }
                var rulePrefix = VaultPath.Parse(result.GetValue(prefix)!);
                var counts = keep.Select(result.GetValue).ToList();
                if (result.GetValue(clear))
                {
                    policy = policy with { Rules = [.. policy.Rules.Where(r => r.Prefix != rulePrefix)] };
                }
                else if (counts.Any(c => c is not null))
                {
                    var rule = policy.Rules.FirstOrDefault(r => r.Prefix == rulePrefix) ?? new KeepRule { Prefix = rulePrefix };
                    rule = rule with
                    {
                        Last = counts[0] ?? rule.Last,
                        WithinDays = counts[1] ?? rule.WithinDays,
                        Hourly = counts[2] ?? rule.Hourly,
                        Daily = counts[3] ?? rule.Daily,
                        Weekly = counts[4] ?? rule.Weekly,
                        Monthly = counts[5] ?? rule.Monthly,
                        Yearly = counts[6] ?? rule.Yearly,
                    };
                    policy = policy with { Rules = [.. policy.Rules.Where(r => r.Prefix != rulePrefix), rule] };
                }
                else if (result.GetValue(trashDays) is null)
                {
                    throw new DupaException(ErrorCode.InvalidInput, "nothing to set: give --trash-days, a --keep-... option or --clear");
                }
                return policy;
            }

            RetentionPolicy policy;
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var current = await remote.Client.GetAsync<Node.Api.PolicyView>(remote.Api("policy"), cancellationToken);
                    policy = Changed(new RetentionPolicy { TrashDays = current.TrashDays, Rules = current.Rules });
                    await remote.Client.SendAsync(HttpMethod.Put, remote.Api("policy"), new Node.Api.SetPolicyRequest(policy.TrashDays, policy.Rules), cancellationToken);
                }
                else
                {
                    using var vault = Globals.Open(result, writable: true);
                    policy = PolicyCommands.SetPolicy(vault, Changed(vault.State.Policy));
                }
            }
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new PolicyJson(policy.TrashDays, policy.Rules));
            }
            else
            {
                Console.WriteLine("policy saved; 'dupa forget --dry-run' shows what it would drop");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
