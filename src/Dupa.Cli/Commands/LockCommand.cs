using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Retention;

namespace Dupa.Cli.Commands;

public static class LockCommand
{
    public static Command Build()
    {
        var path = new Argument<string>("PATH") { Description = "The path to protect, and everything below it (/ for the whole vault)" };
        var until = new Option<string>("--until") { Description = "Protect it until this time (ISO 8601); it cannot be lifted or shortened", Required = true, HelpName = "TIME" };
        var command = Globals.NewCommand("lock",
            "Write-once protection: until the date, nothing under PATH can be deleted, purged, forgotten, moved or overwritten. New files can still be added. There is no unlock.",
            "dupa lock /Contracts --until 2030-01-01");
        command.Add(path);
        command.Add(until);
        command.SetAction(async (result, cancellationToken) =>
        {
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    var locked = await remote.Client.SendJsonAsync<Node.Api.PolicyView>(HttpMethod.Post, remote.Api("locks"),
                        new Node.Api.LockRequest(result.GetValue(path)!, Globals.ParseTime(result.GetValue(until)!)), cancellationToken);
                    var remoteLock = locked.Locks.First(l => l.Prefix == Core.Files.VaultPath.Parse(result.GetValue(path)!));
                    Console.WriteLine($"{remoteLock.Prefix} is write-once until {Output.Time(remoteLock.Until)}");
                    return ExitCodes.Ok;
                }
            }
            using var vault = Globals.Open(result, writable: true);
            var lockedUntil = PolicyCommands.Lock(vault, result.GetValue(path)!, Globals.ParseTime(result.GetValue(until)!));
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new LockJson(Core.Files.VaultPath.Parse(result.GetValue(path)!), lockedUntil));
            }
            else
            {
                Console.WriteLine($"{result.GetValue(path)} is write-once until {Output.Time(lockedUntil)}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
