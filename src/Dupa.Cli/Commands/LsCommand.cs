using System.CommandLine;
using System.Globalization;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;

namespace Dupa.Cli.Commands;

public static class LsCommand
{
    public static Command Build()
    {
        var path = new Argument<string>("PATH") { Description = "A directory or file in the vault (default /)", DefaultValueFactory = _ => "/" };
        var longFormat = new Option<bool>("-l", "--long") { Description = "Show mode, size, modification time and versions" };
        var at = Globals.AtOption();
        var command = Globals.NewCommand("ls", "List a directory of the vault.", "dupa ls -l /Photos");
        command.Add(path);
        command.Add(longFormat);
        command.Add(at);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.LsAsync(remote, result.GetValue(path)!, result.GetValue(longFormat), result.GetValue(at), result.GetValue(Globals.Json), cancellationToken);
                }
            }
            var vaultPath = VaultPath.Parse(result.GetValue(path)!);
            using var vault = Globals.Open(result, writable: false);
            var state = result.GetValue(at) is { } time ? vault.StateAt(Globals.ParseTime(time)) : vault.State;
            IReadOnlyList<TreeNode> nodes;
            if (state.IsDirectory(vaultPath))
            {
                nodes = state.Children(vaultPath);
            }
            else
            {
                nodes = state.Get(vaultPath) is { } node ? [node] : throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' is not in the vault");
            }
            if (result.GetValue(Globals.Json))
            {
                Output.Json(nodes.Select(n => new LsJson(n.Name, n.Path, n.Type, n.Current.Size,
                    DateTimeOffset.FromUnixTimeMilliseconds(n.Current.MtimeNs / 1_000_000), Convert.ToString(n.Current.Mode, 8), n.Versions.Count, n.Current.Target)));
                return ExitCodes.Ok;
            }
            foreach (var node in nodes)
            {
                var name = node.Type == NodeType.Directory ? node.Name + "/" : node.Type == NodeType.Symlink ? $"{node.Name} -> {node.Current.Target}" : node.Name;
                if (result.GetValue(longFormat))
                {
                    var size = node.Type == NodeType.File ? node.Current.Size.ToString(CultureInfo.InvariantCulture) : "-";
                    var versions = node.Type == NodeType.File ? $"v{node.Versions.Count}" : "";
                    Console.WriteLine($"{ModeString(node)} {size,12} {Output.Time(node.Current.MtimeNs)} {versions,4} {name}");
                }
                else
                {
                    Console.WriteLine(name);
                }
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string ModeString(TreeNode node)
    {
        var type = node.Type switch { NodeType.Directory => 'd', NodeType.Symlink => 'l', _ => '-' };
        var mode = node.Current.Mode;
        var chars = new char[10];
        chars[0] = type;
        const string rwx = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
        {
            chars[i + 1] = (mode & (1 << (8 - i))) != 0 ? rwx[i] : '-';
        }
        return new string(chars);
    }
}
