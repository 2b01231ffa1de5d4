using System.Collections.Concurrent;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Node.Data;

namespace Dupa.Node.Peers;

/// <summary>What this node knows of a peer right now: pinned (from the database) and how its connection fares.</summary>
public sealed record PeerState(PeerRecord Record, bool Connected, DateTimeOffset? LastSeen, string? LastError, int Failures)
{
    /// <summary>What the peer last said it still lacks of the vaults it replicates from this node (null: it replicates none, or has not said).</summary>
    public long? BytesBehind { get; init; }

    /// <summary>The peer's own account of the vaults it replicates from this node (empty until it has said).</summary>
    public IReadOnlyList<ReplicaState> Replicas { get; init; } = [];

    /// <summary>Where local discovery last heard the peer announce itself (docs/protocol.md, Finding peers).</summary>
    public string? Discovered { get; init; }

    /// <summary>Whether the peer said in its last hello that it relays for its pinned peers (docs/protocol.md, Relaying).</summary>
    public bool Relays { get; init; }

    /// <summary>The relay (device ID, hex) through which this node last reached the peer; null when it reached it directly.</summary>
    public string? Via { get; init; }

    /// <summary>Whether this node can relay through the peer now: it relays, and this node reached it directly.</summary>
    public bool UsableAsRelay => Relays && Connected && Via is null && DialAddress is not null;

    /// <summary>Where to dial the peer: its static address, else the one discovery found.</summary>
    public string? DialAddress => Record.Address ?? Discovered;
}

/// <summary>
/// The pinned peers (docs/protocol.md, Pairing) and their connection state. The pins live in the node's database;
/// the set is also kept in memory, because the TLS handshake asks for every connection.
/// </summary>
public sealed class PeerRegistry(NodeDatabase database, TimeProvider time)
{
    /// <summary>Heartbeats that may fail in a row before a peer counts as disconnected.</summary>
    public const int FailuresBeforeDisconnected = 3;

    private readonly ConcurrentDictionary<string, PeerState> _states = new(
        database.Peers().Select(p => KeyValuePair.Create(p.DeviceId, new PeerState(p, false, null, null, 0))), StringComparer.Ordinal);

    public bool IsPinned(DeviceId id) => _states.ContainsKey(id.Hex);

    public IReadOnlyList<PeerState> All() => [.. _states.Values.OrderBy(s => s.Record.Name, StringComparer.Ordinal).ThenBy(s => s.Record.DeviceId, StringComparer.Ordinal)];

    public PeerState? Get(DeviceId id) => _states.GetValueOrDefault(id.Hex);

    public PeerState Pin(DeviceId id, string? name, string? address)
    {
        if (address is not null && !TryParseAddress(address, out _, out _))
        {
            throw new DupaException(ErrorCode.InvalidInput, $"'{address}' is not HOST:PORT");
        }
        if (name is { Length: > 64 } || name?.Any(char.IsControl) == true)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a peer name is at most 64 printable characters");
        }
        var existing = _states.GetValueOrDefault(id.Hex);
        var record = new PeerRecord(id.Hex, name ?? existing?.Record.Name ?? id.ToString()[..7], address ?? existing?.Record.Address, existing?.Record.AddedAt ?? time.GetUtcNow());
        database.SavePeer(record);
        return _states.AddOrUpdate(id.Hex, _ => new PeerState(record, false, null, null, 0), (_, state) => state with { Record = record });
    }

    public bool Unpin(DeviceId id)
    {
        _states.TryRemove(id.Hex, out _);
        return database.RemovePeer(id.Hex);
    }

    /// <summary>The peer answered (or dialled us): connected, seen now.</summary>
    public void Seen(DeviceId id) =>
        Update(id, state => state with { Connected = true, LastSeen = time.GetUtcNow(), LastError = null, Failures = 0 });

    /// <summary>
    /// This node's heartbeat reached the peer, directly or through the relay <paramref name="via"/>, and its hello said
    /// whether it relays.
    /// </summary>
    public void Reached(DeviceId id, DeviceId? via, bool relays) =>
        Update(id, state => state with { Connected = true, LastSeen = time.GetUtcNow(), LastError = null, Failures = 0, Via = via?.Hex, Relays = relays });

    /// <summary>
    /// A pinned peer announced itself on the local network at <paramref name="address"/>. Returns true if that is
    /// news (a pinned peer without a static address, heard at a new place): worth dialling at once.
    /// </summary>
    public bool Discovered(DeviceId id, string address) =>
        Update(id, state => state.Record.Address is not null || state.Discovered == address ? null : state with { Discovered = address });

    /// <summary>What the peer says of the vaults it replicates from this node: per vault, and the bytes behind in all.</summary>
    public void ReportedReplicas(DeviceId id, IReadOnlyList<ReplicaState>? replicas)
    {
        var behind = replicas is { Count: > 0 } ? replicas.Sum(r => Math.Max(0, r.BytesBehind)) : (long?)null;
        Update(id, state => state with { BytesBehind = behind, Replicas = replicas ?? [] });
    }

    public void Failed(DeviceId id, string error) =>
        Update(id, state => state with { Failures = state.Failures + 1, LastError = error, Connected = state.Connected && state.Failures + 1 < FailuresBeforeDisconnected });

    /// <summary>
    /// Applies <paramref name="change"/> to a pinned peer's state, again on the newer state if another update came in
    /// between (a heartbeat and an incoming request often touch the same peer at once): no update is lost. True when
    /// it changed the state; false for a peer not pinned, or when <paramref name="change"/> gives null (nothing to change).
    /// </summary>
    private bool Update(DeviceId id, Func<PeerState, PeerState?> change)
    {
        while (_states.TryGetValue(id.Hex, out var state))
        {
            if (change(state) is not { } changed)
            {
                return false;
            }
            if (_states.TryUpdate(id.Hex, changed, state))
            {
                return true;
            }
        }
        return false;
    }

    public static bool TryParseAddress(string address, out string host, out int port)
    {
        host = "";
        port = 0;
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), System.Globalization.CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535)
        {
            return false;
        }
        host = address[..colon].Trim('[', ']');
        return host.Length > 0 && Uri.CheckHostName(host) != UriHostNameType.Unknown;
    }
}
