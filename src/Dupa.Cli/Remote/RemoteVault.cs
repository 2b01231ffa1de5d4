using System.CommandLine;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Node.Api;

namespace Dupa.Cli.Remote;

/// <summary>
/// A vault on a node, chosen by <c>--remote NAME</c> and <c>--vault NAME</c> (or <c>$DUPA_VAULT</c>; a node with
/// one vault needs neither), and unlocked with the passphrase from the usual places if the node holds it locked.
/// </summary>
public sealed class RemoteVault : IDisposable
{
    private RemoteVault(NodeClient client, RemoteNode node, VaultView vault)
    {
        Client = client;
        Node = node;
        Vault = vault;
    }

    public NodeClient Client { get; }

    public RemoteNode Node { get; }

    public VaultView Vault { get; }

    /// <summary>The remote vault the command line names, or null for a local command.</summary>
    public static async Task<RemoteVault?> OpenAsync(ParseResult result, CancellationToken cancellationToken, bool unlock = true)
    {
        if (result.GetValue(Globals.Remote) is not { } name)
        {
            return null;
        }
        var node = RemoteStore.Get(name);
        var client = new NodeClient(node.Url, node.Fingerprint, node.Token);
        try
        {
            var vaults = await client.GetAsync<List<VaultView>>("/api/v1/vaults", cancellationToken);
            var wanted = result.GetValue(Globals.Vault) ?? Environment.GetEnvironmentVariable("DUPA_VAULT");
            var vault = string.IsNullOrEmpty(wanted)
                ? vaults.Count == 1 ? vaults[0] : throw new DupaException(ErrorCode.InvalidInput, $"give the vault with --vault NAME; '{name}' has {Names(vaults)}")
                : vaults.FirstOrDefault(v => v.Name == wanted) ?? vaults.FirstOrDefault(v => v.Id == wanted)
                    ?? throw new DupaException(ErrorCode.NotFound, $"no vault '{wanted}' on '{name}'; it has {Names(vaults)}");
            if (unlock && !vault.Unlocked)
            {
                // A vault shared with you opens with your own account password, not the owner's passphrase (docs/sharing.md).
                var request = vault.Role is null or "owner"
                    ? new UnlockRequest(Secrets.Passphrase(result.GetValue(Globals.PassphraseFile)))
                    : new UnlockRequest(null, Secrets.NodePassword(null));
                await client.SendAsync(HttpMethod.Post, $"/api/v1/vaults/{vault.Id}/unlock", request, cancellationToken);
            }
            return new RemoteVault(client, node, vault);
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    private static string Names(List<VaultView> vaults) =>
        vaults.Count == 0 ? "no vaults" : "vaults " + string.Join(", ", vaults.Select(v => $"'{v.Name}'"));

    /// <summary>An API path of this vault: <c>Api("tree", "/a b")</c> is <c>/api/v1/vaults/ID/tree/a%20b</c>.</summary>
    public string Api(string resource, string? vaultPath = null) =>
        $"/api/v1/vaults/{Vault.Id}/{resource}" + (vaultPath is null ? "" : "/" + string.Join('/', VaultPath.Parse(vaultPath).Split('/', StringSplitOptions.RemoveEmptyEntries).Select(Uri.EscapeDataString)));

    public void Dispose() => Client.Dispose();
}
