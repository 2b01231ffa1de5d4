using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class GetCommand
{
    public static Command Build()
    {
        var path = new Argument<string>("PATH") { Description = "The file or directory in the vault" };
        var to = new Option<string?>("--to") { Description = "Write into this local directory (default: a file goes to stdout)", HelpName = "DIR" };
        var version = new Option<int?>("--version") { Description = "The version number of a file (see 'dupa history')", HelpName = "N" };
        var at = Globals.AtOption();
        var command = Globals.NewCommand("get", "Restore a file or directory, latest or as of a version or time.", "dupa get /Photos --to /tmp/restored");
        command.Add(path);
        command.Add(to);
        command.Add(version);
        command.Add(at);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.GetAsync(remote, result.GetValue(path)!, result.GetValue(to), result.GetValue(version), result.GetValue(at), cancellationToken);
                }
            }
            var json = result.GetValue(Globals.Json);
            var vaultPath = VaultPath.Parse(result.GetValue(path)!);
            using var vault = Globals.Open(result, writable: false);
            var state = result.GetValue(at) is { } time ? vault.StateAt(Globals.ParseTime(time)) : vault.State;
            var destination = result.GetValue(to);
            if (vaultPath == VaultPath.Root && destination is not null && result.GetValue(version) is null)
            {
                // The whole vault: each top-level entry lands in DIR under its own name.
                return await Export(vault, state.Subtree(VaultPath.Root), destination, null, json, cancellationToken);
            }
            var node = state.Get(vaultPath) ?? throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' is not in the vault{(result.GetValue(at) is null ? "" : " at that time")}");
            FileVersion? chosen = null;
            if (result.GetValue(version) is { } n)
            {
                if (node.Type == NodeType.Directory)
                {
                    throw new DupaException(ErrorCode.InvalidInput, "--version applies to files; use --at for a directory");
                }
                chosen = n >= 1 && n <= node.Versions.Count ? node.Versions[n - 1]
                    : throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' has versions 1 to {node.Versions.Count}, not {n}");
            }
            if (destination is null)
            {
                var exporter = new FileExporter(vault);
                await using var stdout = Console.OpenStandardOutput();
                await exporter.CopyToAsync(chosen ?? node.Current, stdout, cancellationToken);
                return ExitCodes.Ok;
            }
            return await Export(vault, state.Subtree(vaultPath), destination, chosen, json, cancellationToken);
        });
        return command;
    }

    private static async Task<int> Export(Vault vault, IReadOnlyList<TreeNode> nodes, string destination, FileVersion? chosen, bool json, CancellationToken cancellationToken)
    {
        var written = await Output.WithProgress(Output.ShowProgress(json), "get", report =>
            new FileExporter(vault, new Progress(p => report(p.BytesDone, p.BytesTotal, $"{p.FilesDone}/{p.FilesTotal} files")))
                .ExportAsync(nodes, destination, chosen, cancellationToken));
        if (json)
        {
            Output.Json(written);
        }
        else
        {
            Console.WriteLine($"restored {written.Files} files, {written.Directories} directories, {written.Symlinks} symlinks ({Output.Size(written.Bytes)}) to {Path.GetFullPath(destination)}");
        }
        return ExitCodes.Ok;
    }

    private sealed class Progress(Action<GetProgress> report) : IProgress<GetProgress>
    {
        public void Report(GetProgress value) => report(value);
    }
}
