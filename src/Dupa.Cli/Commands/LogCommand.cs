using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Manifest;

namespace Dupa.Cli.Commands;

public static class LogCommand
{
    public static Command Build()
    {
        var path = new Option<string?>("--path") { Description = "Only operations that touched this path or what is below it", HelpName = "PATH" };
        var limit = new Option<int>("--limit") { Description = "How many operations to show", DefaultValueFactory = _ => 50, HelpName = "N" };
        var offset = new Option<int>("--offset") { Description = "Skip this many (newest) operations first: the next page", DefaultValueFactory = _ => 0, HelpName = "N" };
        var command = Globals.NewCommand("log", "Show the history of changes: when, by which device, what.", "dupa log --path /docs --limit 20");
        command.Add(path);
        command.Add(limit);
        command.Add(offset);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.LogAsync(remote, result.GetValue(path), result.GetValue(limit), result.GetValue(offset), result.GetValue(Globals.Json), cancellationToken);
                }
            }
            using var vault = Globals.Open(result, writable: false);
            if (result.GetValue(limit) < 1 || result.GetValue(offset) < 0)
            {
                throw new Core.Errors.DupaException(Core.Errors.ErrorCode.InvalidInput, "--limit must be at least 1 and --offset at least 0");
            }
            var records = LogHistory.Records(vault.Entries, result.GetValue(path)).Skip(result.GetValue(offset)).Take(result.GetValue(limit)).ToList();
            var self = vault.Device?.Id;
            if (result.GetValue(Globals.Json))
            {
                Output.Json(records.Select(Node.Api.LogRecordView.Of).ToList());
                return ExitCodes.Ok;
            }
            foreach (var r in records)
            {
                var device = r.Device.Hex[..8] + (r.Device == self ? "*" : " ");
                Console.WriteLine($"{Output.Time(r.Time.Time)}  {device}  {r.Action,-8} {r.Summary}");
            }
            if (records.Count == result.GetValue(limit))
            {
                Console.Error.WriteLine($"(more with --offset {result.GetValue(offset) + records.Count}; * marks this device)");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
