using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class VerifyCommand
{
    public static Command Build()
    {
        var quick = new Option<bool>("--quick") { Description = "Check structure only (logs, signatures, index, references); do not read every chunk" };
        var command = Globals.NewCommand("verify", "Check that everything in the vault is intact; exit code 5 names what is damaged.", "dupa verify");
        command.Add(quick);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var job = await RemoteCommands.RunJobAsync(remote, new Node.Api.StartJobRequest("verify", result.GetValue(quick)), cancellationToken);
                    var remoteClean = job.GetProperty("clean").GetBoolean();
                    if (result.GetValue(Globals.Json))
                    {
                        Output.Json(job);
                    }
                    else
                    {
                        foreach (var problem in job.GetProperty("problems").EnumerateArray())
                        {
                            Console.WriteLine($"DAMAGED {problem.GetProperty("object").GetString()}: {problem.GetProperty("message").GetString()}");
                        }
                        Console.WriteLine(remoteClean ? "no problems" : "problems found");
                    }
                    return remoteClean ? ExitCodes.Ok : ExitCodes.Damaged;
                }
            }
            var json = result.GetValue(Globals.Json);
            // A full verify hashes the packs on another core while this one opens the vault (the key derivation and
            // the logs): half a second of a 1.1 GiB vault's verify had one core idle.
            using var hashedAhead = result.GetValue(quick) ? null : PackHashing.Start(Globals.VaultDirectory(result));
            using var vault = Globals.Open(result, writable: false, tolerateDamage: true);
            var report = new Verifier(vault, hashedAhead: hashedAhead).Run(result.GetValue(quick), cancellationToken);
            if (json)
            {
                Output.Json(new Node.Api.VerifyJobResult(report.IsClean, report.Problems, report.Notes, report.Entries, report.Packs, report.Chunks, report.BytesRead));
            }
            else
            {
                foreach (var note in report.Notes)
                {
                    Console.WriteLine($"note: {note}");
                }
                foreach (var problem in report.Problems)
                {
                    Console.WriteLine($"DAMAGED {problem}");
                }
                Console.WriteLine(report.IsClean
                    ? $"no problems: {report.Entries} log entries, {report.Packs} packs, {report.Chunks} chunks ({Output.Size(report.BytesRead)} read)"
                    : $"{report.Problems.Count} problem(s) found");
            }
            if (!report.IsClean)
            {
                Console.Error.WriteLine($"dupa: verify found {report.Problems.Count} problem(s); first: {report.Problems[0]}");
            }
            return report.IsClean ? ExitCodes.Ok : ExitCodes.Damaged;
        });
        return command;
    }
}
