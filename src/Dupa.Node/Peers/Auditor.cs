using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using Dupa.Core.Crypto;
using Dupa.Core.Storage;
using Dupa.Node.Data;
using Dupa.Node.Vaults;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>A range of a pack to prove, and the request and answer of an audit (docs/protocol.md, Audits).</summary>
public sealed record AuditRange(string Pack, long Offset, int Length);

public sealed record AuditRequest(string Nonce, IReadOnlyList<AuditRange> Ranges);

public sealed record AuditAnswer(IReadOnlyList<string?> Proofs);

/// <summary>The last audit of a replica: when, whether it passed, and what failed.</summary>
public sealed record AuditState(string VaultId, string Peer, DateTimeOffset At, bool Passed, string? Detail);

/// <summary>
/// The owner's side of audits: now and then, for each vault shared with a connected replica, pick random ranges of
/// packs the replica has been sent, send a fresh nonce, and compare its SHA-256(nonce || bytes) proofs with our
/// own. A replica that lost or altered data fails, shows in <c>dupa status</c>, and is logged.
/// </summary>
public sealed partial class Auditor(NodeDatabase database, VaultSessions sessions, NodeOptions options, TimeProvider time, ILogger<Auditor> logger)
{
    /// <summary>Packs up to this size are proved whole; larger ones by a random range of this size.</summary>
    public const int RangeSize = 256 * 1024;

    private readonly ConcurrentDictionary<(string Vault, string Peer), AuditState> _states = new();
    /// <summary>
    /// The packs sent whole to each replica, each with whether the replica's answer has missed it once: we learn that
    /// a pack was sent when our side of the response ends, before the replica has written, synced and renamed it, so
    /// an audit in that moment finds it missing. A first miss is asked again; a second one fails the audit.
    /// </summary>
    private readonly ConcurrentDictionary<(string Vault, string Peer), ConcurrentDictionary<string, bool>> _delivered = new();

    public IReadOnlyList<AuditState> All() => [.. _states.Values.OrderBy(s => s.VaultId, StringComparer.Ordinal).ThenBy(s => s.Peer, StringComparer.Ordinal)];

    /// <summary>A pack was sent whole to a replica: from now on it may be asked to prove it holds it.</summary>
    public void Delivered(string vaultId, DeviceId peer, string pack) =>
        _delivered.GetOrAdd((vaultId, peer.Hex), _ => new ConcurrentDictionary<string, bool>(StringComparer.Ordinal))[pack] = false;

    public async Task AuditAsync(HttpClient client, string address, DeviceId peer, CancellationToken cancellationToken)
    {
        foreach (var share in database.SharesWithPeer(peer.Hex).Where(s => s.Role == "replica"))
        {
            var key = (share.VaultId, peer.Hex);
            if (_states.TryGetValue(key, out var last) && time.GetUtcNow() - last.At < TimeSpan.FromSeconds(options.PeerAuditSeconds))
            {
                continue;
            }
            if (!_delivered.TryGetValue(key, out var delivered) || delivered.IsEmpty)
            {
                continue;
            }
            var directory = sessions.DirectoryOf(share.VaultId);
            var ranges = new List<(AuditRange Range, byte[] Bytes)>();
            foreach (var pack in delivered.Keys.OrderBy(_ => RandomNumberGenerator.GetInt32(int.MaxValue)).Take(4))
            {
                var path = Path.Combine(directory, PackFormat.RelativePath(pack));
                if (!File.Exists(path))
                {
                    // Our own gc removed it; the replica may keep it (docs/adr/0004-replica-packs.md).
                    delivered.TryRemove(pack, out _);
                    continue;
                }
                var size = new FileInfo(path).Length;
                var length = (int)Math.Min(size, RangeSize);
                var offset = size <= RangeSize ? 0 : RandomNumberGenerator.GetInt32((int)Math.Min(int.MaxValue, size - length));
                var bytes = new byte[length];
                using (var stream = File.OpenRead(path))
                {
                    stream.Seek(offset, SeekOrigin.Begin);
                    stream.ReadExactly(bytes);
                }
                ranges.Add((new AuditRange(pack, offset, length), bytes));
            }
            if (ranges.Count == 0)
            {
                continue;
            }
            var nonce = RandomNumberGenerator.GetBytes(32);
            string? failure;
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, $"https://{address}/peer/v1/replicas/{share.VaultId}/audit")
                {
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    Content = JsonContent.Create(new AuditRequest(Convert.ToBase64String(nonce), [.. ranges.Select(r => r.Range)]), NodeJson.Default.AuditRequest),
                };
                using var response = await client.SendAsync(request, cancellationToken);
                response.EnsureSuccessStatusCode();
                var answer = await response.Content.ReadFromJsonAsync(NodeJson.Default.AuditAnswer, cancellationToken);
                failure = Check(ranges, nonce, answer, delivered);
            }
            catch (Exception e) when (e is HttpRequestException or IOException or System.Text.Json.JsonException)
            {
                failure = "no valid answer: " + e.GetBaseException().Message;
            }
            if (failure == NotYetHeld)
            {
                // Nothing proved either way: no verdict, so the next heartbeat asks again.
                continue;
            }
            _states[key] = new AuditState(share.VaultId, peer.Hex, time.GetUtcNow(), failure is null, failure);
            if (failure is not null)
            {
                LogFailed(logger, share.VaultId, peer.ToString(), failure);
            }
        }
    }

    internal const string NotYetHeld = "every pack asked was missing for the first time";

    /// <summary>
    /// Null when every proof matches; otherwise what failed, or <see cref="NotYetHeld"/> when the only misses are packs
    /// missing for the first time and nothing was proved (see <see cref="_delivered"/>).
    /// </summary>
    internal static string? Check(List<(AuditRange Range, byte[] Bytes)> ranges, byte[] nonce, AuditAnswer? answer, ConcurrentDictionary<string, bool> delivered)
    {
        if (answer?.Proofs is not { } proofs || proofs.Count != ranges.Count)
        {
            return "the answer does not cover every range asked";
        }
        var proved = 0;
        Span<byte> given = stackalloc byte[32];
        for (var i = 0; i < ranges.Count; i++)
        {
            var pack = ranges[i].Range.Pack;
            if (proofs[i] is null)
            {
                if (delivered.TryUpdate(pack, true, false))
                {
                    continue;
                }
                return $"pack {pack[..12]} is missing on the replica";
            }
            if (!Convert.TryFromBase64String(proofs[i]!, given, out var written) || written != given.Length
                || !CryptographicOperations.FixedTimeEquals(Proof(nonce, ranges[i].Bytes), given))
            {
                return $"pack {pack[..12]} is altered on the replica";
            }
            delivered.TryUpdate(pack, false, true);
            proved++;
        }
        return proved > 0 ? null : NotYetHeld;
    }

    /// <summary>SHA-256(nonce || bytes): what the replica computes over what it holds.</summary>
    public static byte[] Proof(byte[] nonce, ReadOnlySpan<byte> bytes)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(nonce);
        sha.AppendData(bytes);
        return sha.GetHashAndReset();
    }

    /// <summary>The replica's answer: a proof per range over the bytes it holds, null where it holds none.</summary>
    public static AuditAnswer Answer(string replicaDirectory, AuditRequest request)
    {
        var nonce = Convert.FromBase64String(request.Nonce);
        var proofs = new List<string?>();
        foreach (var range in (request.Ranges ?? []).Take(16))
        {
            var path = range.Pack.Length == 64 && range.Pack.All(char.IsAsciiHexDigitLower) ? Path.Combine(replicaDirectory, PackFormat.RelativePath(range.Pack)) : null;
            if (path is null || !File.Exists(path) || range.Offset < 0 || range.Length is < 0 or > RangeSize || range.Offset + range.Length > new FileInfo(path).Length)
            {
                proofs.Add(null);
                continue;
            }
            var bytes = new byte[range.Length];
            using (var stream = File.OpenRead(path))
            {
                stream.Seek(range.Offset, SeekOrigin.Begin);
                stream.ReadExactly(bytes);
            }
            proofs.Add(Convert.ToBase64String(Proof(nonce, bytes)));
        }
        return new AuditAnswer(proofs);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "audit of vault {Vault} on replica {Peer} failed: {Detail}")]
    private static partial void LogFailed(ILogger logger, string vault, string peer, string detail);
}
