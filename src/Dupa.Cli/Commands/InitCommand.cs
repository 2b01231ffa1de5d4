using System.CommandLine;
using Dupa.Core.Chunking;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class InitCommand
{
    public static Command Build()
    {
        var iterations = new Option<int>("--kdf-iterations") { Description = "Argon2id passes (default 3)", DefaultValueFactory = _ => 3 };
        var memory = new Option<int>("--kdf-memory") { Description = "Argon2id memory in MiB (default 256)", HelpName = "MIB", DefaultValueFactory = _ => 256 };
        var chunkAverage = new Option<int>("--chunk-avg") { Description = "Average chunk size in KiB, a power of two (default 1024; min is 1/4, max 4x)", HelpName = "KIB", DefaultValueFactory = _ => 1024 };
        var packSize = new Option<int>("--pack-size") { Description = "Pack file size in MiB (default 32)", HelpName = "MIB", DefaultValueFactory = _ => 32 };
        var command = Globals.NewCommand("init", "Create a new vault and print its recovery key (shown once).", "DUPA_VAULT=/tmp/v dupa init");
        command.Add(iterations);
        command.Add(memory);
        command.Add(chunkAverage);
        command.Add(packSize);
        command.SetAction(result =>
        {
            var json = result.GetValue(Globals.Json);
            var directory = Globals.VaultDirectory(result);
            var passphrase = Secrets.Passphrase(result.GetValue(Globals.PassphraseFile), confirm: true);
            VaultCreateOptions options;
            try
            {
                var average = result.GetValue(chunkAverage) * 1024;
                options = new VaultCreateOptions
                {
                    Kdf = new Argon2Parameters(result.GetValue(iterations), result.GetValue(memory) * 1024),
                    Chunker = new ChunkerParameters(average / 4, average, average * 4),
                    PackSize = checked(result.GetValue(packSize) * 1024 * 1024),
                };
            }
            catch (Exception e) when (e is ArgumentException or OverflowException)
            {
                throw new DupaException(ErrorCode.InvalidInput, e.Message);
            }
            var created = VaultInit.Create(directory, passphrase, options);
            if (json)
            {
                Output.Json(new { vault = created.Directory, vaultId = created.VaultId, device = created.Device.ToString(), recoveryKey = created.RecoveryKey });
                return ExitCodes.Ok;
            }
            Console.WriteLine($"Created vault {created.VaultId} in {created.Directory}");
            Console.WriteLine();
            Console.WriteLine("Recovery key (shown this once; write it down and keep it apart from the passphrase):");
            Console.WriteLine();
            Console.WriteLine("    " + created.RecoveryKey);
            Console.WriteLine();
            Console.WriteLine("With it, 'dupa recover' sets a new passphrase if this one is lost.");
            return ExitCodes.Ok;
        });
        return command;
    }
}
