using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Chunking;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class InitCommand
{
    public static Command Build()
    {
        var kdf = new VaultCreateOptions().Kdf;
        var iterations = new Option<int>("--kdf-iterations") { Description = $"Argon2id passes (default {kdf.Iterations})", DefaultValueFactory = _ => kdf.Iterations };
        var memory = new Option<int>("--kdf-memory") { Description = $"Argon2id memory in MiB (default {kdf.MemoryKiB / 1024})", HelpName = "MIB", DefaultValueFactory = _ => kdf.MemoryKiB / 1024 };
        var chunkAverage = new Option<int>("--chunk-avg") { Description = "Average chunk size in KiB, a power of two (default 1024; min is 1/4, max 4x)", HelpName = "KIB", DefaultValueFactory = _ => 1024 };
        var packSize = new Option<int>("--pack-size") { Description = "Pack file size in MiB (default 32)", HelpName = "MIB", DefaultValueFactory = _ => 32 };
        var command = Globals.NewCommand("init", "Create a new vault and print its recovery key (shown once).", "DUPA_VAULT=/tmp/v dupa init");
        command.Add(iterations);
        command.Add(memory);
        command.Add(chunkAverage);
        command.Add(packSize);
        command.SetAction(async (result, cancellationToken) =>
        {
            var json = result.GetValue(Globals.Json);
            if (result.GetValue(Globals.Remote) is { } remoteName)
            {
                // On a node, the vault is named by --vault and created with the node's own defaults.
                var node = RemoteStore.Get(remoteName);
                var name = Globals.VaultDirectory(result);
                var secret = Secrets.Passphrase(result.GetValue(Globals.PassphraseFile), confirm: true);
                using var client = new NodeClient(node.Url, node.Fingerprint, node.Token);
                var made = await client.SendJsonAsync<Node.Api.CreatedVault>(HttpMethod.Post, "/api/v1/vaults", new Node.Api.CreateVaultRequest(name, secret), cancellationToken);
                PrintCreated(json, $"{remoteName}:{made.Name}", made.Id, null, made.RecoveryKey);
                return ExitCodes.Ok;
            }
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
            PrintCreated(json, created.Directory, created.VaultId, created.Device.ToString(), created.RecoveryKey);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void PrintCreated(bool json, string where, string vaultId, string? device, string recoveryKey)
    {
        if (json)
        {
            Output.Json(new InitJson(where, vaultId, device, recoveryKey));
            return;
        }
        Console.WriteLine($"Created vault {vaultId} in {where}");
        Console.WriteLine();
        Console.WriteLine("Recovery key (shown this once; write it down and keep it apart from the passphrase):");
        Console.WriteLine();
        Console.WriteLine("    " + recoveryKey);
        Console.WriteLine();
        Console.WriteLine("With it, 'dupa recover' sets a new passphrase if this one is lost.");
    }
}
