using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Replication;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>A vault this node replicates from a peer: how far behind it is and how the last pass went.</summary>
public sealed record ReplicaState(string VaultId, string From, long BytesBehind, DateTimeOffset? LastSync, string? LastError)
{
    /// <summary>When the replica last checked its own copy, and what it found damaged and removed to fetch again.</summary>
    public DateTimeOffset? LastCheck { get; init; }

    public IReadOnlyList<string> Repaired { get; init; } = [];
}

/// <summary>The answer to <c>GET /peer/v1/vaults</c>: the vaults the owner shares with the caller.</summary>
public sealed record SharedVault(string VaultId, string Role);

/// <summary>
/// The replica's side of replication (docs/protocol.md, Replicas): after each heartbeat, for every vault the peer
/// shares with this node as a replica, fetch what is missing (header, device keys, log bytes, packs) into
/// <c>DATA/replicas/VAULT</c>, keeping only what verifies without the key. A pass that stops half-way resumes from
/// what was durably stored.
/// </summary>
public sealed partial class Replicator(NodeOptions options, Members members, TimeProvider time, ILogger<Replicator> logger)
{
    private readonly ConcurrentDictionary<string, ReplicaState> _states = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _running = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ReplicaCopy> _copies = new(StringComparer.Ordinal);

    /// <summary>
    /// The device a replicated vault comes from, or null if this node does not replicate it: recorded in the replica's
    /// <c>source</c> file at the first pull, so that no other peer can later claim the vault (and, through its
    /// manifest, have packs pruned or logs cut).
    /// </summary>
    public string? SourceOf(string vaultId)
    {
        var path = Path.Combine(DirectoryOf(vaultId), "source");
        return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
    }

    public IReadOnlyList<ReplicaState> All() => [.. _states.Values.OrderBy(s => s.VaultId, StringComparer.Ordinal)];

    /// <summary>Where a replica lives; a vault ID a peer sent is checked here, once, before it becomes a path.</summary>
    public string DirectoryOf(string vaultId) => IsId(vaultId)
        ? Path.Combine(options.Data, "replicas", vaultId)
        : throw new DupaException(ErrorCode.NotFound, "no such vault");

    public async Task SyncAsync(HttpClient client, string address, DeviceId from, CancellationToken cancellationToken)
    {
        using var vaultsResponse = await GetAsync(client, $"https://{address}/peer/v1/vaults", cancellationToken);
        var shared = await vaultsResponse.Content.ReadFromJsonAsync(NodeJson.Default.ListSharedVault, cancellationToken) ?? [];
        foreach (var vault in shared.Where(v => v.Role == "member" && IsId(v.VaultId)))
        {
            await members.SyncAsync(client, address, from, vault.VaultId, cancellationToken);
        }
        foreach (var vault in shared.Where(v => v.Role == "replica" && IsId(v.VaultId)))
        {
            if (SourceOf(vault.VaultId) is { } source && source != from.Hex)
            {
                // Another peer offers a vault this node replicates from its owner: ignored, and its state left alone.
                LogFailed(logger, vault.VaultId, $"offered by {from.Hex[..12]}, but it is replicated from {source[..12]}; ignored");
                continue;
            }
            var gate = _running.GetOrAdd(vault.VaultId, _ => new SemaphoreSlim(1, 1));
            if (!await gate.WaitAsync(0, cancellationToken))
            {
                continue;
            }
            try
            {
                await SyncVaultAsync(client, address, from, vault.VaultId, cancellationToken);
            }
            catch (Exception e) when (e is DupaException or HttpRequestException or IOException or System.Text.Json.JsonException or FormatException)
            {
                var message = e.GetBaseException().Message;
                _states.AddOrUpdate(vault.VaultId, _ => new ReplicaState(vault.VaultId, from.Hex, -1, null, message), (_, s) => s with { LastError = message });
                LogFailed(logger, vault.VaultId, message);
            }
            finally
            {
                gate.Release();
            }
        }
    }

    private async Task SyncVaultAsync(HttpClient client, string address, DeviceId from, string vaultId, CancellationToken cancellationToken)
    {
        if (SourceOf(vaultId) is { } source && source != from.Hex)
        {
            throw new DupaException(ErrorCode.Untrusted, $"this node replicates vault {vaultId} from device {source[..12]}, not from this peer");
        }
        Directory.CreateDirectory(DirectoryOf(vaultId));
        if (SourceOf(vaultId) is null)
        {
            Core.Files.DurableFile.WriteAtomically(Path.Combine(DirectoryOf(vaultId), "source"), System.Text.Encoding.ASCII.GetBytes(from.Hex));
        }
        // One copy per vault for the node's lifetime: it remembers how far it verified each log (ReplicaCopy).
        var copy = _copies.GetOrAdd(vaultId, id => new ReplicaCopy(DirectoryOf(id)));
        var now = time.GetUtcNow();
        if (File.Exists(Path.Combine(copy.Directory, Core.Vaults.VaultHeader.FileName))
            && (!_states.TryGetValue(vaultId, out var known) || known.LastCheck is not { } checkedAt || now - checkedAt >= TimeSpan.FromSeconds(options.PeerAuditSeconds)))
        {
            // Check the copy now and then without the key, and drop what is damaged: this pass fetches it again.
            var repaired = copy.Repair();
            foreach (var item in repaired)
            {
                LogRepaired(logger, vaultId, item);
            }
            _states.AddOrUpdate(vaultId, _ => new ReplicaState(vaultId, from.Hex, -1, null, null) { LastCheck = now, Repaired = repaired },
                (_, s) => s with { LastCheck = now, Repaired = repaired.Count > 0 ? repaired : s.Repaired });
        }
        var manifest = await PullCopyAsync(client, $"https://{address}/peer/v1/vaults/{vaultId}", copy, behind => Report(vaultId, from, behind, null), cancellationToken);
        // A complete pass: packs the owner's gc dropped are set aside, and deleted after the grace period.
        copy.Prune(manifest, now, TimeSpan.FromDays(options.ReplicaPruneDays));
        Report(vaultId, from, 0, time.GetUtcNow());
    }

    /// <summary>
    /// Brings a replica copy level with a peer's (under <paramref name="baseUrl"/>: manifest, logs, packs): header,
    /// device keys, log bytes from the copy's length on, then the packs it lacks, each checked without the key.
    /// Used by replicas and by <c>dupa recover --from</c>; what was stored stays stored if the pull is cut short.
    /// </summary>
    public static async Task<ReplicaManifest> PullCopyAsync(HttpClient client, string baseUrl, ReplicaCopy copy, Action<long> reportBehind, CancellationToken cancellationToken)
    {
        using var manifestResponse = await GetAsync(client, baseUrl + "/manifest", cancellationToken);
        var manifest = await manifestResponse.Content.ReadFromJsonAsync(NodeJson.Default.ReplicaManifest, cancellationToken)
            ?? throw new DupaException(ErrorCode.Integrity, "an empty manifest");
        copy.AcceptHeaderAndDevices(manifest);
        // Counted once and then brought down as bytes arrive: recounting checks every pack's file, which for a vault
        // of many small packs made each pack's transfer cost as much as a scan of all of them.
        var behind = copy.BytesBehind(manifest);
        reportBehind(behind);
        foreach (var log in manifest.Logs.Where(l => l.Length > copy.LogLength(l.Device)))
        {
            var offset = copy.LogLength(log.Device);
            using var response = await GetAsync(client, $"{baseUrl}/logs/{log.Device}?offset={offset}", cancellationToken);
            copy.AcceptLogBytes(log.Device, offset, await response.Content.ReadAsByteArrayAsync(cancellationToken));
            behind -= Math.Min(log.Length, copy.LogLength(log.Device)) - offset;
            reportBehind(behind);
        }
        foreach (var pack in manifest.Packs.Where(p => !copy.HasPack(p.Hash)))
        {
            using var response = await GetAsync(client, $"{baseUrl}/packs/{pack.Hash}", cancellationToken);
            await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
            await copy.AcceptPackAsync(pack.Hash, body, cancellationToken);
            behind -= pack.Size;
            reportBehind(behind);
        }
        return manifest;
    }

    private void Report(string vaultId, DeviceId from, long behind, DateTimeOffset? synced) =>
        _states.AddOrUpdate(vaultId, _ => new ReplicaState(vaultId, from.Hex, behind, synced, null),
            (_, s) => s with { BytesBehind = behind, LastSync = synced ?? s.LastSync, LastError = null });

    private static async Task<HttpResponseMessage> GetAsync(HttpClient client, string url, CancellationToken cancellationToken)
    {
        var response = await client.SendAsync(new HttpRequestMessage(HttpMethod.Get, url) { Version = HttpVersion.Version20, VersionPolicy = HttpVersionPolicy.RequestVersionExact },
            HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            throw new HttpRequestException($"{url} answered {(int)response.StatusCode}");
        }
        return response;
    }

    private static bool IsId(string id) => id.Length is > 0 and <= 64 && id.All(char.IsAsciiLetterOrDigit);

    [LoggerMessage(Level = LogLevel.Warning, Message = "replica of vault {Vault}: repaired {Item}")]
    private static partial void LogRepaired(ILogger logger, string vault, string item);

    [LoggerMessage(Level = LogLevel.Warning, Message = "replica of vault {Vault}: {Error}")]
    private static partial void LogFailed(ILogger logger, string vault, string error);
}
