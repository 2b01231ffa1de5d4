using System.CommandLine;
using System.Globalization;
using Dupa.Cli.Remote;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class GcCommand
{
    public static Command Build()
    {
        var dryRun = new Option<bool>("--dry-run", "-n") { Description = "Only report what would be freed" };
        var maxUnused = new Option<double>("--max-unused")
        {
            Description = "Repack a pack once at least this share of it is unused (0 to 1)",
            DefaultValueFactory = _ => GarbageCollector.DefaultMaxUnused,
            HelpName = "SHARE",
        };
        var command = Globals.NewCommand("gc",
            "Delete data no kept version needs (after rm + trash empty, or forget) and repack packs that are mostly unused. Safe to interrupt.",
            "dupa gc --dry-run");
        command.Add(dryRun);
        command.Add(maxUnused);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var job = await RemoteCommands.RunJobAsync(remote, new Node.Api.StartJobRequest("gc", DryRun: result.GetValue(dryRun), MaxUnused: result.GetValue(maxUnused)), cancellationToken);
                    Print(System.Text.Json.JsonSerializer.Deserialize(job, CliJson.WebInfo<GcResult>())!, result.GetValue(Globals.Json));
                    return ExitCodes.Ok;
                }
            }
            using var vault = Globals.Open(result, writable: true);
            Print(new GarbageCollector(vault).Run(result.GetValue(dryRun), result.GetValue(maxUnused), cancellationToken), result.GetValue(Globals.Json));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Print(GcResult report, bool json)
    {
        if (json)
        {
            Output.Json(report);
            return;
        }
        var dry = report.DryRun;
        var share = report.BytesBefore > 0 ? ((double)report.BytesFreed / report.BytesBefore).ToString("P0", CultureInfo.InvariantCulture) : "0 %";
        Console.WriteLine($"{(dry ? "would free" : "freed")} {Output.Size(report.BytesFreed)} of {Output.Size(report.BytesBefore)} ({share}): "
            + $"{report.PacksDeleted} pack(s) deleted, {report.PacksRepacked} repacked into {(dry ? "new packs" : report.PacksWritten + " new")}, "
            + $"{report.ChunksRemoved} chunk(s) removed, {report.ChunksMoved} moved, {report.StrayFilesDeleted} stray file(s)");
    }
}
