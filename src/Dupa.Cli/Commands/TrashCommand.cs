using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Manifest;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class TrashCommand
{
    public static Command Build()
    {
        var command = Globals.NewCommand("trash", "List, restore or empty the trash.", "dupa trash ls");
        command.Add(BuildLs());
        command.Add(BuildRestore());
        command.Add(BuildEmpty());
        return command;
    }

    private static Command BuildLs()
    {
        var command = Globals.NewCommand("ls", "List what is in the trash.", "dupa trash ls");
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var remoteItems = await RemoteCommands.TrashAsync(remote, cancellationToken);
                    if (result.GetValue(Globals.Json))
                    {
                        Output.Json(remoteItems);
                        return ExitCodes.Ok;
                    }
                    remoteItems.ForEach(i => Console.WriteLine($"{RemoteCommands.ShortId(i.Id)}  {Output.Time(i.Deleted)}  {Output.Size(i.Size),10}  {i.Path}{(i.Type == "dir" ? "/" : "")}"));
                    return ExitCodes.Ok;
                }
            }
            using var vault = Globals.Open(result, writable: false);
            var items = vault.State.Trash.OrderByDescending(t => t.DeletedAt).Select(t => new TrashItemJson(
                t.Id.Short, t.Path, t.DeletedAt.Time, t.Root.Type,
                t.Nodes.Count(n => n.Type == NodeType.File), t.Nodes.Where(n => n.Type == NodeType.File).Sum(n => n.Current.Size))).ToList();
            if (result.GetValue(Globals.Json))
            {
                Output.Json(items);
                return ExitCodes.Ok;
            }
            foreach (var i in items)
            {
                Console.WriteLine($"{i.Item}  {Output.Time(i.Deleted)}  {Output.Size(i.Size),10}  {i.Path}{(i.Type == NodeType.Directory ? "/" : "")}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildRestore()
    {
        var item = new Argument<string>("ITEM") { Description = "The trash item (its ID from 'dupa trash ls', or the path it was deleted from)" };
        var to = new Option<string?>("--to") { Description = "Restore to this vault path instead of where it was", HelpName = "PATH" };
        var command = Globals.NewCommand("restore", "Put a trash item back.", "dupa trash restore /docs/old.txt");
        command.Add(item);
        command.Add(to);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var remoteItem = await RemoteCommands.FindTrashItemAsync(remote, result.GetValue(item)!, cancellationToken);
                    await remote.Client.SendAsync(HttpMethod.Post, remote.Api($"trash/{Uri.EscapeDataString(remoteItem.Id)}/restore"), new Node.Api.RestoreTrashRequest(result.GetValue(to)), cancellationToken);
                    Console.WriteLine($"restored {remoteItem.Path}");
                    return ExitCodes.Ok;
                }
            }
            using var vault = Globals.Open(result, writable: true);
            var found = TrashCommands.Find(vault, result.GetValue(item)!);
            var path = TrashCommands.Restore(vault, found, result.GetValue(to));
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new RestoredJson(found.Id.Short, path));
            }
            else
            {
                Console.WriteLine($"restored {path}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildEmpty()
    {
        var items = new Argument<string[]>("ITEM") { Description = "Only these items (default: everything in the trash)", Arity = ArgumentArity.ZeroOrMore };
        var command = Globals.NewCommand("empty", "Purge trash items for good: their data can no longer be restored.", "dupa trash empty");
        command.Add(items);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var remoteGiven = result.GetValue(items) ?? [];
                    var remoteChosen = new List<string>();
                    foreach (var one in remoteGiven)
                    {
                        remoteChosen.Add((await RemoteCommands.FindTrashItemAsync(remote, one, cancellationToken)).Id);
                    }
                    if (remoteGiven.Length == 0)
                    {
                        await remote.Client.SendAsync(HttpMethod.Delete, remote.Api("trash"), cancellationToken: cancellationToken);
                    }
                    foreach (var id in remoteChosen.Distinct())
                    {
                        await remote.Client.SendAsync(HttpMethod.Delete, remote.Api($"trash/{Uri.EscapeDataString(id)}"), cancellationToken: cancellationToken);
                    }
                    Console.WriteLine(remoteGiven.Length == 0 ? "emptied the trash" : $"purged {remoteChosen.Distinct().Count()} trash item(s)");
                    return ExitCodes.Ok;
                }
            }
            using var vault = Globals.Open(result, writable: true);
            var chosen = result.GetValue(items) is { Length: > 0 } given
                ? given.Select(i => TrashCommands.Find(vault, i)).Distinct().ToList()
                : vault.State.Trash.ToList();
            var purged = TrashCommands.Purge(vault, chosen);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new Node.Api.PurgedView(purged));
            }
            else
            {
                Console.WriteLine($"purged {purged} trash item(s)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
