using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class TagCommand
{
    public static Command Build()
    {
        var command = Globals.NewCommand("tag", "Add, remove or list tags on files and directories.", "dupa tag add /Photos/2023/beach.jpg family summer");
        command.Add(BuildChange("add", "Add tags to a path.", "dupa tag add /Photos/beach.jpg family", add: true));
        command.Add(BuildChange("rm", "Remove tags from a path.", "dupa tag rm /Photos/beach.jpg family", add: false));
        command.Add(BuildLs());
        return command;
    }

    private static Command BuildChange(string name, string description, string example, bool add)
    {
        var path = new Argument<string>("PATH") { Description = "A file or directory in the vault" };
        var tags = new Argument<string[]>("TAG") { Description = "One or more tags", Arity = ArgumentArity.OneOrMore };
        var command = Globals.NewCommand(name, description, example);
        command.Add(path);
        command.Add(tags);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.TagAsync(remote, result.GetValue(path)!, add ? result.GetValue(tags)! : [], add ? [] : result.GetValue(tags)!, result.GetValue(Globals.Json), cancellationToken);
                }
            }
            using var vault = Globals.Open(result, writable: true);
            var given = result.GetValue(tags)!;
            var changed = TagCommands.Change(vault, [result.GetValue(path)!], add ? given : [], add ? [] : given);
            var (changedPath, now) = changed[0];
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new Node.Api.TagsView(changedPath, now));
            }
            else
            {
                Console.WriteLine($"{changedPath}: {(now.Count == 0 ? "no tags" : string.Join(", ", now))}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildLs()
    {
        var path = new Argument<string?>("PATH") { Description = "Show this path's tags (default: every tag in the vault, with how many paths have it)", Arity = ArgumentArity.ZeroOrOne };
        var command = Globals.NewCommand("ls", "List tags.", "dupa tag ls");
        command.Add(path);
        command.SetAction(result =>
        {
            using var vault = Globals.Open(result, writable: false);
            var json = result.GetValue(Globals.Json);
            if (result.GetValue(path) is { } given)
            {
                var vaultPath = VaultPath.Parse(given);
                var node = vault.State.Get(vaultPath) ?? throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' is not in the vault");
                if (json)
                {
                    Output.Json(new Node.Api.TagsView(vaultPath, node.Tags));
                }
                else
                {
                    node.Tags.ToList().ForEach(Console.WriteLine);
                }
                return ExitCodes.Ok;
            }
            var counts = TagCommands.Counts(vault.State).Select(c => new Node.Api.TagCountView(c.Tag, c.Paths)).ToList();
            if (json)
            {
                Output.Json(counts);
            }
            else
            {
                counts.ForEach(c => Console.WriteLine($"{c.Tag}  ({c.Paths})"));
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
