using System.CommandLine;
using Dupa.Core.Index;

namespace Dupa.Cli.Commands;

public static class IndexCommand
{
    public static Command Build()
    {
        var command = Globals.NewCommand("index", "Maintain the vault's index.", "dupa index rebuild");
        var rebuild = Globals.NewCommand("rebuild", "Throw the index away and rebuild it from the packs and logs.", "dupa index rebuild");
        rebuild.SetAction(result =>
        {
            using var vault = Globals.Open(result, writable: true, tolerateDamage: true, discardIndex: true);
            var rebuilt = IndexRebuilder.Rebuild(vault);
            foreach (var skipped in rebuilt.SkippedPacks)
            {
                Console.Error.WriteLine($"dupa: warning: skipped a damaged pack: {skipped}");
            }
            if (result.GetValue(Globals.Json))
            {
                Output.Json(rebuilt);
            }
            else
            {
                Console.WriteLine($"index rebuilt: {rebuilt.Packs} packs, {rebuilt.Chunks} chunks");
            }
            return ExitCodes.Ok;
        });
        command.Add(rebuild);
        return command;
    }
}
