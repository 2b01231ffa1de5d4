using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Files;
using Dupa.Core.Retention;

namespace Dupa.Cli.Commands;

public static class PutCommand
{
    public static Command Build()
    {
        var sources = new Argument<string[]>("SOURCE") { Description = "Files or directories to add", Arity = ArgumentArity.OneOrMore };
        var to = new Option<string>("--to") { Description = "The vault directory to add them under (default /)", HelpName = "DIR", DefaultValueFactory = _ => "/" };
        var exclude = new Option<string[]>("--exclude") { Description = "Skip names or paths matching this glob (repeatable): '*.tmp', 'cache/**'", HelpName = "PATTERN" };
        var command = Globals.NewCommand("put", "Add files and directories to the vault; unchanged files are skipped.", "dupa put ~/Photos --exclude '*.tmp'");
        command.Add(sources);
        command.Add(to);
        command.Add(exclude);
        command.SetAction(async (result, cancellationToken) =>
        {
            var json = result.GetValue(Globals.Json);
            var filter = new PathFilter(result.GetValue(exclude) ?? []);
            using (var remote = await RemoteVault.OpenAsync(result, cancellationToken))
            {
                if (remote is not null)
                {
                    return await RemoteCommands.PutAsync(remote, result.GetValue(sources)!, result.GetValue(to)!, filter, json, cancellationToken);
                }
            }
            // The walk of the sources needs no vault: it runs while the vault opens (key derivation, the log's fold).
            var walk = SourceWalk.Start(result.GetValue(sources)!, result.GetValue(to)!, filter);
            using var vault = Globals.Open(result, writable: true);
            var put = await Output.WithProgress(Output.ShowProgress(json), "put", report =>
            {
                var options = new PutOptions
                {
                    Exclude = filter,
                    Progress = new Progress(p => report(p.BytesDone, p.BytesTotal, $"{p.FilesDone}/{p.FilesTotal} files")),
                };
                return new FileImporter(vault, options).ImportAsync(walk, cancellationToken);
            });
            // The policy's trash period is enforced by every command that writes, not only by forget.
            Forgetter.ExpireTrash(vault);
            foreach (var warning in put.Warnings)
            {
                Console.Error.WriteLine($"dupa: warning: {warning}");
            }
            foreach (var error in put.Errors)
            {
                Console.Error.WriteLine($"dupa: error: {error}");
            }
            if (json)
            {
                Output.Json(put);
            }
            else
            {
                Console.WriteLine($"{put.FilesAdded} new, {put.FilesChanged} changed, {put.FilesUnchanged} unchanged files; {put.Directories} directories, {put.Symlinks} symlinks");
                Console.WriteLine($"read {Output.Size(put.BytesRead)}, stored {Output.Size(put.BytesStored)} in {put.ChunksAdded} new chunks");
            }
            return put.Errors.Count > 0 ? ExitCodes.Partial : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>IProgress that calls back on the reporting thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class Progress(Action<PutProgress> report) : IProgress<PutProgress>
    {
        public void Report(PutProgress value) => report(value);
    }
}
