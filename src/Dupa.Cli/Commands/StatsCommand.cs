using System.CommandLine;
using System.Globalization;
using Dupa.Cli.Remote;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class StatsCommand
{
    public static Command Build()
    {
        var command = Globals.NewCommand("stats", "Show what the vault holds and what deduplication and compression save.", "dupa stats --json");
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.StatsAsync(remote, result.GetValue(Globals.Json), cancellationToken);
                }
            }
            using var vault = Globals.Open(result, writable: false);
            var stats = VaultStats.Compute(vault);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(stats);
                return ExitCodes.Ok;
            }
            Print(stats);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static void Print(VaultStats stats)
    {
        Console.WriteLine($"files:        {stats.Files} ({stats.Versions} versions), {stats.Directories} directories, {stats.Symlinks} symlinks, {stats.TrashItems} in the trash");
        Console.WriteLine($"current size: {Output.Size(stats.CurrentBytes)}");
        Console.WriteLine($"logical size: {Output.Size(stats.LogicalBytes)} (every kept version)");
        Console.WriteLine($"unique data:  {Output.Size(stats.UniqueBytes)} in {stats.Chunks} chunks");
        Console.WriteLine($"stored:       {Output.Size(stats.StoredBytes)} in {stats.Packs} packs");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"dedup ratio:  {stats.DedupRatio:0.00}x, compression ratio: {stats.CompressionRatio:0.00}x"));
    }
}
