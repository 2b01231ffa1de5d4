using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Node.Peers;

namespace Dupa.Cli.Commands;

/// <summary><c>dupa id</c>, <c>dupa peer add|ls|rm</c> and <c>dupa status</c>: a node's identity and its pinned peers (docs/protocol.md).</summary>
public static class PeerCommand
{
    public static Command BuildId()
    {
        var data = new Option<string?>("--data") { Description = "A local node's data directory (instead of --remote)", HelpName = "DIR" };
        var command = Globals.NewCommand("id", "Print a node's device ID, for its peers to pin.", "dupa id --remote home");
        command.Add(data);
        command.SetAction(async (result, cancellationToken) =>
        {
            string id, hex;
            if (result.GetValue(Globals.Remote) is { } name)
            {
                using var client = Client(name);
                var view = await client.GetAsync<NodeIdView>("/api/v1/node/id", cancellationToken);
                (id, hex) = (view.DeviceId, view.DeviceIdHex);
            }
            else if (result.GetValue(data) is { } directory)
            {
                var path = NodeIdentity.PathIn(Path.GetFullPath(directory));
                if (!File.Exists(path))
                {
                    throw new DupaException(ErrorCode.NotFound, $"no node identity in '{directory}'; 'dupa serve --data {directory}' makes one on its first start");
                }
                using var identity = new NodeIdentity(X509CertificateLoader.LoadPkcs12FromFile(path, password: null));
                (id, hex) = (identity.Id.ToString(), identity.Id.Hex);
            }
            else
            {
                throw new DupaException(ErrorCode.InvalidInput, "give --remote NAME (a node you logged in to) or --data DIR (a local node)");
            }
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new DeviceIdJson(id, hex));
            }
            else
            {
                Console.WriteLine(id);
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildPeer()
    {
        var command = Globals.NewCommand("peer", "Pin, list and unpin the node's peers (with --remote; admin).", "dupa peer add MFZWI3D-... --address 10.0.0.2:22000 --remote home");

        var id = new Argument<string>("DEVICE-ID") { Description = "The peer's device ID, as 'dupa id' prints it on that node" };
        var address = new Option<string?>("--address") { Description = "Where to dial the peer (its --peer-listen)", HelpName = "HOST:PORT" };
        var name = new Option<string?>("--name") { Description = "A name for people", HelpName = "NAME" };
        var recover = new Option<string?>("--recover")
        {
            Description = "Also let this device fetch this node's replica of the vault with this ID, to recover it ('dupa recover --from')",
            HelpName = "VAULT-ID",
        };
        var add = Globals.NewCommand("add", "Pin a peer: connections from it are accepted, and it is dialled at --address.", "dupa peer add MFZWI3D-... --address 10.0.0.2:22000 --remote home");
        add.Add(id);
        add.Add(address);
        add.Add(name);
        add.Add(recover);
        add.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            var peer = await client.SendJsonAsync<PeerView>(HttpMethod.Post, "/api/v1/peers", new AddPeerRequest(result.GetValue(id)!, result.GetValue(address), result.GetValue(name)), cancellationToken);
            if (result.GetValue(recover) is { } vault)
            {
                await client.SendAsync(HttpMethod.Post, $"/api/v1/replicas/{Uri.EscapeDataString(vault)}/recovery-grants", new RecoveryGrantRequest(peer.DeviceId), cancellationToken);
            }
            Print([peer], result.GetValue(Globals.Json));
            return ExitCodes.Ok;
        });

        var ls = Globals.NewCommand("ls", "List the pinned peers and how their connections fare.", "dupa peer ls --remote home");
        ls.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            Print(await client.GetAsync<List<PeerView>>("/api/v1/peers", cancellationToken), result.GetValue(Globals.Json));
            return ExitCodes.Ok;
        });

        var removeId = new Argument<string>("DEVICE-ID") { Description = "The peer to unpin" };
        var rm = Globals.NewCommand("rm", "Unpin a peer: it can no longer connect.", "dupa peer rm MFZWI3D-... --remote home");
        rm.Add(removeId);
        rm.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            await client.SendAsync(HttpMethod.Delete, "/api/v1/peers/" + Uri.EscapeDataString(result.GetValue(removeId)!.Trim()), cancellationToken: cancellationToken);
            Console.WriteLine("unpinned");
            return ExitCodes.Ok;
        });

        var inviteAddress = new Option<string?>("--address") { Description = "Where the other node can reach this one's peer port (default: its --peer-listen)", HelpName = "HOST:PORT" };
        var invite = Globals.NewCommand("invite", "Print an invite code (this node's ID, address and a one-time secret, valid a day) for another node to join with.",
            "dupa peer invite --address nas.local:22000 --remote home");
        invite.Add(inviteAddress);
        invite.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            var made = await client.SendJsonAsync<PeerInviteView>(HttpMethod.Post, "/api/v1/peers/invites", new CreatePeerInviteRequest(result.GetValue(inviteAddress)), cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(made);
            }
            else
            {
                Console.WriteLine(made.Code);
                Console.Error.WriteLine($"valid until {Output.Time(made.ExpiresAt)}, once; on the other node: dupa peer join CODE --remote NAME");
            }
            return ExitCodes.Ok;
        });

        var code = new Argument<string>("CODE") { Description = "The invite code 'dupa peer invite' printed on the other node" };
        var joinName = new Option<string?>("--name") { Description = "A name for the other node", HelpName = "NAME" };
        var join = Globals.NewCommand("join", "Pair with the node that made an invite code: each pins the other.", "dupa peer join dupa-invite:eyJ... --remote laptop");
        join.Add(code);
        join.Add(joinName);
        join.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            var peer = await client.SendJsonAsync<PeerView>(HttpMethod.Post, "/api/v1/peers/join", new JoinPeerRequest(result.GetValue(code)!, result.GetValue(joinName)), cancellationToken);
            Print([peer], result.GetValue(Globals.Json));
            return ExitCodes.Ok;
        });

        command.Add(add);
        command.Add(ls);
        command.Add(rm);
        command.Add(invite);
        command.Add(join);
        return command;
    }

    public static Command BuildStatus()
    {
        var command = Globals.NewCommand("status", "Show a node's device ID and each peer: connected, last seen, last error.", "dupa status --remote home --json");
        command.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            var status = await client.GetAsync<NodeStatusView>("/api/v1/status", cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(status);
                return ExitCodes.Ok;
            }
            Console.WriteLine($"this node: {status.DeviceId}{(status.PeerListen is null ? " (not listening for peers)" : $", peers at {status.PeerListen}")}");
            Print(status.Peers, json: false);
            if (status.PortMapping is { } mapping)
            {
                Console.WriteLine($"port mapping ({mapping.Method}): {(mapping.LastError is { } error ? "failed: " + error : $"reachable at {mapping.External}")}");
            }
            if (status.Relay is { } relaying)
            {
                var names = status.Peers.ToDictionary(p => p.DeviceId, p => p.Name, StringComparer.Ordinal);
                string Named(string id) => names.GetValueOrDefault(id) ?? id[..7];
                if (relaying.Enabled)
                {
                    var listening = relaying.Listening.Count == 0 ? "nobody listening" : "listening: " + string.Join(", ", relaying.Listening.Select(Named).Order(StringComparer.Ordinal));
                    Console.WriteLine($"relay: on, {listening}, {relaying.Sessions} sessions open, {Output.Size(relaying.BytesRelayed)} relayed in {relaying.SessionsTotal} sessions");
                }
                if (relaying.ListeningAt.Count > 0)
                {
                    Console.WriteLine($"listening for relayed sessions at: {string.Join(", ", relaying.ListeningAt.Select(Named).Order(StringComparer.Ordinal))}");
                }
            }
            foreach (var audit in status.Audits)
            {
                Console.WriteLine($"audit of vault {audit.VaultId} on {audit.Peer[..12]}: {(audit.Passed ? "passed" : "FAILED: " + audit.Detail)} at {Output.Time(audit.At)}");
            }
            foreach (var replica in status.Replicas)
            {
                var state = replica.LastError is { } error ? $"error: {error}" : replica.BytesBehind == 0 ? "up to date" : $"{Output.Size(replica.BytesBehind)} behind";
                Console.WriteLine($"replica of vault {replica.VaultId} from {replica.From[..12]}: {state}{(replica.LastSync is { } t ? $", last complete {Output.Time(t)}" : "")}");
            }
            foreach (var vault in status.Vaults)
            {
                var copies = vault.CopiesWanted > 0 ? $"{vault.UpToDate.Count} of {vault.CopiesWanted} copies up to date" : $"{vault.UpToDate.Count} copies up to date";
                Console.WriteLine($"vault {vault.Name}: {copies}{(vault.UnderReplicated ? " (UNDER-REPLICATED)" : "")}{(vault.Behind.Count > 0 ? $", {vault.Behind.Count} behind" : "")}");
            }
            foreach (var member in status.Members)
            {
                var state = member.LastError is { } error ? $"error: {error}" : member.Missing == 0 ? "up to date" : $"{member.Missing} chunks the peer lacks too";
                Console.WriteLine($"member of vault {member.VaultId} with {member.Peer[..12]}: {state}{(member.LastSync is { } t ? $", last pull {Output.Time(t)}" : "")}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildVault()
    {
        var command = Globals.NewCommand("vault", "A node's vaults: list them, share one with a peer (with --remote).", "dupa vault share photos --peer MFZWI3D-... --role replica --remote home");
        var ls = Globals.NewCommand("ls", "List your vaults on the node.", "dupa vault ls --remote home");
        ls.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            var vaults = await client.GetAsync<List<Node.Api.VaultView>>("/api/v1/vaults", cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(vaults);
            }
            else
            {
                vaults.ForEach(v => Console.WriteLine($"{v.Name}  {v.Id}  {(v.Unlocked ? "unlocked" : "locked")}{(v.Role == "owner" ? "" : $"  shared by {v.Owner} as {v.Role}")}"
                    + (v.NeedsReshare ? $"  needs sharing again: ask {v.Owner} (an admin reset your password)" : "")));
            }
            return ExitCodes.Ok;
        });

        var vault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var peer = new Option<string>("--peer") { Description = "The peer's device ID (pinned with 'dupa peer add')", Required = true, HelpName = "DEVICE-ID" };
        var role = new Option<string>("--role") { Description = "replica: the peer stores ciphertext it cannot read; member: it receives the vault key, reads and writes", DefaultValueFactory = _ => "replica", HelpName = "replica|member" };
        var share = Globals.NewCommand("share", "Share a vault with a pinned peer: as a replica it keeps an off-site copy it cannot read; as a member it holds the key and syncs both ways.", "dupa vault share photos --peer MFZWI3D-... --role replica --remote home");
        share.Add(vault);
        share.Add(peer);
        share.Add(role);
        share.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            var id = await VaultIdAsync(client, result.GetValue(vault)!, cancellationToken);
            var made = await client.SendJsonAsync<ShareView>(HttpMethod.Post, $"/api/v1/vaults/{id}/shares", new ShareRequest(result.GetValue(peer)!, result.GetValue(role)!), cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(made);
            }
            else
            {
                Console.WriteLine($"{result.GetValue(vault)} is shared with {made.PeerName} ({made.Peer}) as a {made.Role}");
            }
            return ExitCodes.Ok;
        });

        var unshareVault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var unsharePeer = new Option<string>("--peer") { Description = "The peer's device ID", Required = true, HelpName = "DEVICE-ID" };
        var unshare = Globals.NewCommand("unshare", "Stop sharing a vault with a peer: it gets no new data.", "dupa vault unshare photos --peer MFZWI3D-... --remote home");
        unshare.Add(unshareVault);
        unshare.Add(unsharePeer);
        unshare.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            var id = await VaultIdAsync(client, result.GetValue(unshareVault)!, cancellationToken);
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/vaults/{id}/shares/{Uri.EscapeDataString(result.GetValue(unsharePeer)!.Trim())}", cancellationToken: cancellationToken);
            Console.WriteLine("unshared");
            Console.Error.WriteLine($"if it was a member, rotate the vault's key so that it cannot read what is written from now on: dupa vault rotate-key {result.GetValue(unshareVault)} --remote NAME");
            return ExitCodes.Ok;
        });
        var copiesVault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var copiesCount = new Argument<int>("N") { Description = "Up-to-date copies wanted on peers (0: no policy)" };
        var copies = Globals.NewCommand("copies", "Set how many up-to-date copies of a vault peers should hold; 'dupa status' reports a vault with fewer as under-replicated.",
            "dupa vault copies photos 2 --remote home");
        copies.Add(copiesVault);
        copies.Add(copiesCount);
        copies.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(RemoteName(result));
            var id = await VaultIdAsync(client, result.GetValue(copiesVault)!, cancellationToken);
            await client.SendAsync(HttpMethod.Put, $"/api/v1/vaults/{id}/replication", new ReplicationPolicyRequest(result.GetValue(copiesCount)), cancellationToken);
            Console.WriteLine($"{result.GetValue(copiesVault)}: {result.GetValue(copiesCount)} copies wanted");
            return ExitCodes.Ok;
        });
        var rotateVault = new Argument<string?>("VAULT") { Description = "The vault's name (or ID) on the node (with --remote)", Arity = ArgumentArity.ZeroOrOne };
        var rotate = Globals.NewCommand("rotate-key",
            "Rotate the vault's key after removing a member or user: what is written from now on is sealed under a new key that they never get. Nothing is re-encrypted; what they could read before stays readable to them. Needs the vault's passphrase.",
            "dupa vault rotate-key photos --remote home");
        rotate.Add(rotateVault);
        rotate.SetAction(async (result, cancellationToken) =>
        {
            int epoch;
            if (result.GetValue(Globals.Remote) is null)
            {
                using var local = Globals.Open(result, writable: true);
                epoch = local.RotateKey();
            }
            else
            {
                using var client = Client(RemoteName(result));
                var name = result.GetValue(rotateVault) ?? throw new DupaException(ErrorCode.InvalidInput, "name the vault to rotate: dupa vault rotate-key VAULT --remote NAME");
                var id = await VaultIdAsync(client, name, cancellationToken);
                var passphrase = Secrets.Passphrase(result.GetValue(Globals.PassphraseFile));
                epoch = (await client.SendJsonAsync<Node.Api.RotatedKey>(HttpMethod.Post, $"/api/v1/vaults/{id}/rotate-key", new Node.Api.RotateKeyRequest(passphrase), cancellationToken)).Epoch;
            }
            Console.WriteLine(result.GetValue(Globals.Json) ? $"{{\"epoch\": {epoch}}}" : $"key rotated: new data is sealed under key epoch {epoch}");
            return ExitCodes.Ok;
        });
        command.Add(ls);
        command.Add(share);
        command.Add(unshare);
        command.Add(copies);
        command.Add(rotate);
        return command;
    }

    private static async Task<string> VaultIdAsync(NodeClient client, string nameOrId, CancellationToken cancellationToken)
    {
        var vaults = await client.GetAsync<List<Node.Api.VaultView>>("/api/v1/vaults", cancellationToken);
        return (vaults.FirstOrDefault(v => v.Name == nameOrId) ?? vaults.FirstOrDefault(v => v.Id == nameOrId)
            ?? throw new DupaException(ErrorCode.NotFound, $"no vault '{nameOrId}' on the node")).Id;
    }

    private static void Print(IReadOnlyList<PeerView> peers, bool json)
    {
        if (json)
        {
            Output.Json(peers);
            return;
        }
        foreach (var p in peers)
        {
            var via = p.Via is { } relay ? $" via {peers.FirstOrDefault(r => r.DeviceId == relay)?.Name ?? relay[..7]}" : "";
            var state = p.Connected ? "connected" + via : p.LastError is { } error ? $"disconnected ({error})" : "not connected";
            state += p.Relays ? ", relays" : "";
            var seen = p.LastSeen is { } time ? $", last seen {Output.Time(time)}" : "";
            seen += p.BytesBehind is { } behind ? behind == 0 ? ", its replicas up to date" : $", {Output.Size(behind)} behind" : "";
            Console.WriteLine($"{p.Name}  {p.DeviceId}  {p.Address ?? "(no address: it dials us)"}  {state}{seen}");
        }
    }

    private static string RemoteName(ParseResult result) =>
        result.GetValue(Globals.Remote) ?? throw new DupaException(ErrorCode.InvalidInput, "peers are a node's: give --remote NAME (see 'dupa login')");

    private static NodeClient Client(string name)
    {
        var node = RemoteStore.Get(name);
        return new NodeClient(node.Url, node.Fingerprint, node.Token);
    }
}
