using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Core.Files;

namespace Dupa.Cli.Commands;

public static class HistoryCommand
{
    public static Command Build()
    {
        var path = new Argument<string>("PATH") { Description = "A file in the vault" };
        var command = Globals.NewCommand("history", "List the versions of a file.", "dupa history /docs/notes.txt");
        command.Add(path);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.HistoryAsync(remote, result.GetValue(path)!, result.GetValue(Globals.Json), cancellationToken);
                }
            }
            var vaultPath = VaultPath.Parse(result.GetValue(path)!);
            using var vault = Globals.Open(result, writable: false);
            var node = vault.State.Get(vaultPath) ?? throw new DupaException(ErrorCode.NotFound, $"'{vaultPath}' is not in the vault");
            var versions = node.Versions.Select((v, i) => new HistoryJson(
                i + 1, v.Time.Time, v.Size, DateTimeOffset.FromUnixTimeMilliseconds(v.MtimeNs / 1_000_000), v.Ref.Device.Hex[..8], v.Ref.ToString())).ToList();
            if (result.GetValue(Globals.Json))
            {
                Output.Json(versions);
                return ExitCodes.Ok;
            }
            Console.WriteLine($"{"VERSION",7}  {"STORED",-19}  {"SIZE",12}  {"MODIFIED",-19}  DEVICE");
            foreach (var v in versions)
            {
                Console.WriteLine($"{v.Version,7}  {Output.Time(v.Stored),-19}  {v.Size,12}  {Output.Time(v.Mtime),-19}  {v.Device}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
