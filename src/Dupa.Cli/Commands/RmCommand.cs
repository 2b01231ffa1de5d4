using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Retention;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class RmCommand
{
    public static Command Build()
    {
        var paths = new Argument<string[]>("PATH") { Description = "Files or directories to move to the trash", Arity = ArgumentArity.OneOrMore };
        var command = Globals.NewCommand("rm", "Move files or directories to the trash (restore them with 'dupa trash restore').", "dupa rm /docs/old.txt");
        command.Add(paths);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.RmAsync(remote, result.GetValue(paths)!, result.GetValue(Globals.Json), cancellationToken);
                }
            }
            using var vault = Globals.Open(result, writable: true);
            var given = result.GetValue(paths)!;
            var items = TrashCommands.Remove(vault, given);
            Forgetter.ExpireTrash(vault);
            var removed = given.Zip(items, (path, item) => new RemovedJson(path, item.Short)).ToList();
            if (!result.GetValue(Globals.Json))
            {
                removed.ForEach(r => Console.WriteLine($"moved {r.Path} to the trash (item {r.TrashItem})"));
            }
            if (result.GetValue(Globals.Json))
            {
                Output.Json(removed);
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
