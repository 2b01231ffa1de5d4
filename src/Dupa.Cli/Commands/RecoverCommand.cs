using System.CommandLine;
using System.Net.Http.Json;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Core.Index;
using Dupa.Core.Replication;
using Dupa.Core.Vaults;
using Dupa.Node.Peers;

namespace Dupa.Cli.Commands;

public static class RecoverCommand
{
    public static Command Build()
    {
        var keyFile = new Option<string?>("--recovery-key-file") { Description = "Read the recovery key from this file (default: $DUPA_RECOVERY_KEY, else a prompt)", HelpName = "FILE" };
        var newFile = PasswdCommand.NewPassphraseFile();
        var from = new Option<string?>("--from") { Description = "Bring the vault back from a peer's replica at this peer address (into --vault, a new directory)", HelpName = "HOST:PORT" };
        var peerId = new Option<string?>("--peer-id") { Description = "The device ID of the node at --from (its pin)", HelpName = "DEVICE-ID" };
        var vaultId = new Option<string?>("--id") { Description = "Which of the replicas the peer lets this device fetch (needed when there are several)", HelpName = "VAULT-ID" };
        var identity = new Option<string?>("--identity") { Description = "Where this device's peer identity lives (default: beside the CLI's config)", HelpName = "DIR" };
        var command = Globals.NewCommand("recover", "Set a new passphrase with the recovery key printed at init, or (--from) bring a whole vault back from a peer's replica.",
            "DUPA_RECOVERY_KEY=... DUPA_NEW_PASSPHRASE='new words' dupa recover\n  dupa recover --from nas.example:22000 --peer-id MFZWI3D-... --vault ~/photos");
        command.Add(keyFile);
        command.Add(newFile);
        command.Add(from);
        command.Add(peerId);
        command.Add(vaultId);
        command.Add(identity);
        command.SetAction(async (result, cancellationToken) =>
        {
            if (result.GetValue(from) is { } address)
            {
                return await FromPeerAsync(result, address, result.GetValue(peerId), result.GetValue(vaultId), result.GetValue(identity), result.GetValue(keyFile), cancellationToken);
            }
            var secret = VaultSecret.RecoveryKey(Secrets.RecoveryKey(result.GetValue(keyFile)));
            using var vault = Vault.Open(Globals.VaultDirectory(result), secret, new VaultOpenOptions { Writable = true });
            vault.ChangePassphrase(Secrets.NewPassphrase(result.GetValue(newFile)));
            Console.WriteLine(result.GetValue(Globals.Json) ? "{\"changed\": true}" : "passphrase set; the recovery key stays valid");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// Disaster recovery (docs/protocol.md, Recovery from a replica): this device dials the replica with a peer
    /// identity of its own, which the replica's admin must have pinned and allowed (<c>dupa peer add ID --recover
    /// VAULT</c>), pulls the ciphertext as a replica would, then opens it with the passphrase or recovery key,
    /// rebuilds the index, joins as a new device and verifies. Run again, it resumes where it stopped.
    /// </summary>
    private static async Task<int> FromPeerAsync(ParseResult result, string address, string? peerText, string? wanted, string? identityDirectory, string? keyFile,
        CancellationToken cancellationToken)
    {
        if (!Node.Peers.PeerRegistry.TryParseAddress(address, out _, out _))
        {
            throw new DupaException(ErrorCode.InvalidInput, $"'{address}' is not HOST:PORT");
        }
        var peer = NodeIdentity.ParseDeviceId(peerText ?? "")
            ?? throw new DupaException(ErrorCode.InvalidInput, "--peer-id: not a device ID (8 groups of 7 characters, as 'dupa id' prints it on that node)");
        var directory = Path.GetFullPath(Globals.VaultDirectory(result));
        if (File.Exists(Path.Combine(directory, Vault.DeviceKeyFileName)))
        {
            throw new DupaException(ErrorCode.AlreadyExists, $"'{directory}' already holds a working vault; recover into a new directory");
        }
        using var self = NodeIdentity.LoadOrCreate(identityDirectory ?? Path.GetDirectoryName(RemoteStore.FilePath)!, TimeProvider.System);
        using var client = PeerConnector.CreateClient(self, peer);
        List<string> granted;
        try
        {
            using var response = await client.SendAsync(Members.Request(HttpMethod.Get, $"https://{address}/peer/v1/recover"), cancellationToken);
            response.EnsureSuccessStatusCode();
            granted = await response.Content.ReadFromJsonAsync(CliJson.WebInfo<List<string>>(), cancellationToken) ?? [];
        }
        catch (HttpRequestException e) when (e.StatusCode is { } status)
        {
            throw new DupaException(ErrorCode.Io, $"the node at {address} answered {(int)status} to a recovery request", e);
        }
        catch (HttpRequestException e) when (!PeerConnector.IsRefusal(e))
        {
            throw new DupaException(ErrorCode.Io, $"cannot reach {address}: {e.GetBaseException().Message}", e, isTransient: true);
        }
        catch (HttpRequestException e)
        {
            // The handshake or the connection was cut: the node does not accept this device's certificate.
            throw new DupaException(ErrorCode.Untrusted,
                $"the node at {address} refused this device (or is not {peer}). Ask its admin to let it recover the vault: dupa peer add {self.Id} --recover VAULT-ID --remote NAME", e);
        }
        var vault = wanted ?? (granted.Count == 1 ? granted[0]
            : throw new DupaException(granted.Count == 0 ? ErrorCode.NotFound : ErrorCode.InvalidInput, granted.Count == 0
                ? $"the node at {address} lets this device ({self.Id}) recover no vault; its admin grants one with: dupa peer add {self.Id} --recover VAULT-ID"
                : $"the node holds several replicas this device may recover; choose one with --id: {string.Join(", ", granted)}"));
        if (!granted.Contains(vault))
        {
            throw new DupaException(ErrorCode.NotFound, $"the node at {address} does not let this device recover vault {vault}");
        }

        Directory.CreateDirectory(directory);
        var copy = new ReplicaCopy(directory);
        long last = -1;
        await Replicator.PullCopyAsync(client, $"https://{address}/peer/v1/recover/{vault}", copy, behind =>
        {
            if (behind != last && !result.GetValue(Globals.Json))
            {
                Console.Error.WriteLine($"fetching: {Output.Size(behind)} to go");
                last = behind;
            }
        }, cancellationToken);

        var secret = keyFile is not null || Environment.GetEnvironmentVariable("DUPA_RECOVERY_KEY") is { Length: > 0 }
            ? VaultSecret.RecoveryKey(Secrets.RecoveryKey(keyFile))
            : VaultSecret.Passphrase(Secrets.Passphrase(result.GetValue(Globals.PassphraseFile)));
        using (var opened = Vault.Open(directory, secret, new VaultOpenOptions { Writable = true, DiscardIndex = true }))
        {
            IndexRebuilder.Rebuild(opened);
        }
        var device = VaultInit.Join(directory, secret);
        using (var joined = Vault.Open(directory, secret, new VaultOpenOptions { Writable = true }))
        {
            // The machine that rotated the key is presumed lost: this one rotates it from now on.
            joined.BecomeKeyDevice();
        }
        using var recovered = Vault.Open(directory, secret);
        var report = new Verifier(recovered).Run(quick: false, cancellationToken: cancellationToken);
        var files = recovered.State.Nodes.Count(n => n.Type == Core.Manifest.NodeType.File);
        if (result.GetValue(Globals.Json))
        {
            Output.Json(new RecoveredJson(directory, files, device.ToString(), report.IsClean, report.Problems));
        }
        else
        {
            Console.WriteLine($"recovered {files} files into {directory}; this machine is now device {device}");
            Console.WriteLine(report.IsClean ? "verify: clean" : $"verify found {report.Problems.Count} problem(s); run 'dupa verify' for details");
        }
        return report.IsClean ? ExitCodes.Ok : ExitCodes.Damaged;
    }
}
