using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization.Metadata;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Replication;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;
using Dupa.Node.Data;
using Dupa.Node.Events;
using Dupa.Node.Vaults;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>What a member sends to receive the vault key: its agreement public key (SPKI, base64).</summary>
public sealed record MemberKeyRequest(string AgreementKey);

/// <summary>The vault key wrapped to the member's agreement key, and the vault's name on the owner's node.</summary>
public sealed record MemberKeyAnswer(string WrappedKey, string Name);

/// <summary>A vault this node holds as a member, as pulled from one peer: when, how much, and the last error.</summary>
public sealed record MemberState(string VaultId, string Peer, DateTimeOffset? LastSync, long LogBytes, int Chunks, int Missing, string? LastError);

/// <summary>
/// The member's side of replication (docs/protocol.md, Members): a node that a vault is shared with as a member
/// receives the vault key wrapped to its agreement key, makes its own copy (a device of its own in the vault), and
/// from then on both nodes pull each other's new entries and chunks after each heartbeat or nudge.
/// </summary>
public sealed partial class Members(NodeDatabase database, VaultSessions sessions, NodeIdentity identity, EventHub events, Bandwidth bandwidth, TimeProvider time,
    ILogger<Members> logger)
{
    private readonly ConcurrentDictionary<(string Vault, string Peer), MemberState> _states = new();
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _running = new(StringComparer.Ordinal);

    public IReadOnlyList<MemberState> All() => [.. _states.Values.OrderBy(s => s.VaultId, StringComparer.Ordinal).ThenBy(s => s.Peer, StringComparer.Ordinal)];

    public async Task SyncAsync(HttpClient client, string address, DeviceId peer, string vaultId, CancellationToken cancellationToken)
    {
        var gate = _running.GetOrAdd(vaultId, _ => new SemaphoreSlim(1, 1));
        if (!await gate.WaitAsync(0, cancellationToken))
        {
            return;
        }
        var baseUrl = $"https://{address}/peer/v1/vaults/{vaultId}";
        try
        {
            if (database.FindVault(vaultId) is null)
            {
                await JoinAsync(client, baseUrl, peer, vaultId, cancellationToken);
            }
            else if (!database.SharesOfVault(vaultId).Any(s => s.PeerId == peer.Hex && s.Role == "member"))
            {
                // Not (or no longer) a member here: its changes are not taken.
                return;
            }
            MemberPullResult result;
            try
            {
                result = await PullAsync(client, baseUrl, vaultId, cancellationToken);
            }
            catch (DupaException e) when (e.Code == ErrorCode.KeyRotated)
            {
                // The vault's key was rotated: ask for the new one (refused if this node is no longer a member), then pull again.
                var wrapped = await FetchKeyAsync(client, baseUrl, cancellationToken);
                NodeIdentity.WritePrivate(sessions.MemberKeyPath(vaultId), Convert.FromBase64String(wrapped.WrappedKey));
                sessions.Close(vaultId);
                LogNewKey(logger, vaultId, peer);
                result = await PullAsync(client, baseUrl, vaultId, cancellationToken);
            }
            _states[(vaultId, peer.Hex)] = new MemberState(vaultId, peer.Hex, time.GetUtcNow(), result.LogBytes, result.Chunks, result.StillMissing, null);
            if (result.LogBytes > 0 || result.Chunks > 0)
            {
                // Local users see the change live, and the vault's other members hear of it (a nudge).
                var record = database.FindVault(vaultId);
                events.Publish(record?.OwnerId ?? "", new NodeEvent("file.synced", vaultId, null, time.GetUtcNow()));
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Whatever went wrong with this vault and peer is reported; the other vaults and peers go on.
            var message = e.GetBaseException().Message;
            _states.AddOrUpdate((vaultId, peer.Hex), _ => new MemberState(vaultId, peer.Hex, null, 0, 0, 0, message), (_, s) => s with { LastError = message });
            LogFailed(logger, vaultId, peer, message);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>
    /// The first pull: the vault's header, device keys and logs, the key (wrapped to this node), then a device of
    /// this node's own in the vault. The vault is registered last, so an interrupted join simply runs again.
    /// </summary>
    private async Task JoinAsync(HttpClient client, string baseUrl, DeviceId peer, string vaultId, CancellationToken cancellationToken)
    {
        var directory = sessions.DirectoryOf(vaultId);
        var peerCopy = new HttpVaultPeer(client, baseUrl);
        var manifest = await peerCopy.ManifestAsync(cancellationToken);
        var copy = new ReplicaCopy(directory);
        if (!File.Exists(Path.Combine(directory, Vault.DeviceKeyFileName)))
        {
            copy.AcceptHeaderAndDevices(manifest);
        }
        var answer = await FetchKeyAsync(client, baseUrl, cancellationToken);
        var wrapped = Convert.FromBase64String(answer.WrappedKey);
        // The key opens only with this node's agreement key; a wrong one is refused when the vault is opened to join.
        var secret = VaultSecret.Wrapped(identity.Agreement, wrapped, "member");
        if (!File.Exists(Path.Combine(directory, Vault.DeviceKeyFileName)))
        {
            foreach (var log in manifest.Logs.Where(l => l.Length > copy.LogLength(l.Device)))
            {
                var offset = copy.LogLength(log.Device);
                copy.AcceptLogBytes(log.Device, offset, await peerCopy.LogBytesAsync(log.Device, offset, cancellationToken));
            }
            VaultInit.Join(directory, secret, time);
        }
        NodeIdentity.WritePrivate(sessions.MemberKeyPath(vaultId), wrapped);
        // The vault belongs to this node's first admin, under the name it has on the owner's node (made unique).
        var admin = database.Users().Where(u => u.IsAdmin).OrderBy(u => u.CreatedAt).FirstOrDefault()
            ?? throw new DupaException(ErrorCode.NotFound, "this node has no admin account to hold the shared vault yet");
        var taken = database.VaultsOf(admin.Id).Select(v => v.Name).ToHashSet(StringComparer.Ordinal);
        var name = taken.Contains(answer.Name) ? $"{answer.Name} (from {peer.Hex[..8]})" : answer.Name;
        database.AddVault(new VaultRecord(vaultId, admin.Id, name, time.GetUtcNow()));
        // Membership is mutual: the node that shared the vault pulls this node's changes too.
        database.SaveShare(new ShareRecord(vaultId, peer.Hex, "member", time.GetUtcNow()));
        LogJoined(logger, vaultId, peer);
    }

    private Task<MemberPullResult> PullAsync(HttpClient client, string baseUrl, string vaultId, CancellationToken cancellationToken)
    {
        sessions.UnlockAsMember(vaultId, identity.Agreement);
        var session = sessions.Get(vaultId);
        return MemberSync.PullAsync(sessions.DirectoryOf(vaultId),
            action => session.WithVaultAsync(v =>
            {
                action(v);
                return true;
            }, cancellationToken),
            new HttpVaultPeer(client, baseUrl), bandwidth.TakeAsync, cancellationToken);
    }

    /// <summary>The vault's newest key, wrapped to this node's agreement key by the peer (message 4m).</summary>
    private async Task<MemberKeyAnswer> FetchKeyAsync(HttpClient client, string baseUrl, CancellationToken cancellationToken)
    {
        using var response = await client.SendAsync(Request(HttpMethod.Post, baseUrl + "/key", JsonContent.Create(new MemberKeyRequest(Convert.ToBase64String(identity.Agreement.PublicKey)), NodeJson.Default.MemberKeyRequest)), cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new DupaException(ErrorCode.NotUnlocked, $"the peer did not send the vault key ({(int)response.StatusCode}); the vault may be locked there, or no longer shared with this node");
        }
        return await response.Content.ReadFromJsonAsync(NodeJson.Default.MemberKeyAnswer, cancellationToken) ?? throw new DupaException(ErrorCode.Integrity, "an empty answer");
    }

    public static HttpRequestMessage Request(HttpMethod method, string url, HttpContent? content = null) =>
        new(method, url) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact, Content = content };

    /// <summary>Another member's copy over the peer protocol (messages 2r, 3r and 5).</summary>
    private sealed class HttpVaultPeer(HttpClient client, string baseUrl) : IVaultPeer
    {
        public async Task<ReplicaManifest> ManifestAsync(CancellationToken cancellationToken) =>
            await GetAsync(baseUrl + "/manifest", NodeJson.Default.ReplicaManifest, cancellationToken);

        public async Task<byte[]> LogBytesAsync(string device, long offset, CancellationToken cancellationToken)
        {
            using var response = await client.SendAsync(Request(HttpMethod.Get, $"{baseUrl}/logs/{device}?offset={offset}"), cancellationToken);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }

        public async Task<byte[]?> SealedChunkAsync(ChunkId id, CancellationToken cancellationToken)
        {
            using var response = await client.SendAsync(Request(HttpMethod.Get, $"{baseUrl}/chunks/{id.Hex}"), cancellationToken);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadAsByteArrayAsync(cancellationToken);
        }

        private async Task<T> GetAsync<T>(string url, JsonTypeInfo<T> json, CancellationToken cancellationToken)
        {
            using var response = await client.SendAsync(Request(HttpMethod.Get, url), cancellationToken);
            response.EnsureSuccessStatusCode();
            return await response.Content.ReadFromJsonAsync(json, cancellationToken) ?? throw new DupaException(ErrorCode.Integrity, $"{url}: an empty answer");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "joined vault {Vault} as a member, shared by {Peer}")]
    private static partial void LogJoined(ILogger logger, string vault, DeviceId peer);

    [LoggerMessage(Level = LogLevel.Information, Message = "vault {Vault}: its key was rotated; {Peer} sent the new one")]
    private static partial void LogNewKey(ILogger logger, string vault, DeviceId peer);

    [LoggerMessage(Level = LogLevel.Warning, Message = "member sync of vault {Vault} with {Peer}: {Error}")]
    private static partial void LogFailed(ILogger logger, string vault, DeviceId peer, string error);
}
