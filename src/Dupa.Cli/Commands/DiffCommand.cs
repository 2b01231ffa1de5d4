using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class DiffCommand
{
    public static Command Build()
    {
        var from = new Argument<string>("TIME1") { Description = "The earlier time (ISO 8601)" };
        var to = new Argument<string?>("TIME2") { Description = "The later time (default: now)", Arity = ArgumentArity.ZeroOrOne };
        var command = Globals.NewCommand("diff", "List the paths added, removed and changed between two times.", "dupa diff 2026-11-01 2026-11-22");
        command.Add(from);
        command.Add(to);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.DiffAsync(remote, Globals.ParseTime(result.GetValue(from)!), result.GetValue(to) is { } later ? Globals.ParseTime(later) : null, result.GetValue(Globals.Json), cancellationToken);
                }
            }
            using var vault = Globals.Open(result, writable: false);
            var before = vault.StateAt(Globals.ParseTime(result.GetValue(from)!));
            var after = result.GetValue(to) is { } time ? vault.StateAt(Globals.ParseTime(time)) : vault.State;
            var changes = TreeDiff.Compare(before, after);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(changes);
                return ExitCodes.Ok;
            }
            foreach (var change in changes)
            {
                var suffix = change.Type == Core.Manifest.NodeType.Directory ? "/" : "";
                Console.WriteLine(change.Kind switch
                {
                    ChangeKind.Added => $"+ {change.Path}{suffix}  {Output.Size(change.NewSize)}",
                    ChangeKind.Removed => $"- {change.Path}{suffix}  {Output.Size(change.OldSize)}",
                    _ => $"M {change.Path}  {Output.Size(change.OldSize)} -> {Output.Size(change.NewSize)}",
                });
            }
            Console.WriteLine($"{changes.Count(c => c.Kind == ChangeKind.Added)} added, {changes.Count(c => c.Kind == ChangeKind.Removed)} removed, {changes.Count(c => c.Kind == ChangeKind.Changed)} changed");
            return ExitCodes.Ok;
        });
        return command;
    }
}
