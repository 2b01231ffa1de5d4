using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;

namespace Dupa.Node.Peers;

/// <summary>What an invite code carries: the inviting node's device ID, where to reach its peer port, and a one-time secret.</summary>
public sealed record PeerInvite(string Id, string Address, string Secret);

/// <summary>
/// Pairing by invite code (docs/protocol.md, Pairing): the inviting node hands out a code; the joining node pins
/// the ID in it, dials the address, and presents the secret once, which makes the inviter pin the joiner in turn.
/// Secrets live only in memory, hashed, for a day; each works once. While one is outstanding, the peer port's
/// handshake admits unpinned certificates, but only the join request answers them.
/// </summary>
public sealed class PeerInvites(TimeProvider time)
{
    public const string Prefix = "dupa-invite:";
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _outstanding = new(StringComparer.Ordinal);

    public bool AnyOutstanding => _outstanding.Values.Any(expiry => expiry > time.GetUtcNow());

    public string Create(DeviceId self, string address)
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        _outstanding[Hash(secret)] = time.GetUtcNow() + Lifetime;
        var json = JsonSerializer.SerializeToUtf8Bytes(new PeerInvite(self.Hex, address, Base64Url(secret)), NodeJson.Default.PeerInvite);
        return Prefix + Base64Url(json);
    }

    /// <summary>Consumes a secret: true once, for an outstanding, unexpired invite (the hashes are compared, so timing says nothing).</summary>
    public bool Redeem(string secret)
    {
        byte[] bytes;
        try
        {
            bytes = FromBase64Url(secret);
        }
        catch (FormatException)
        {
            return false;
        }
        return _outstanding.TryRemove(Hash(bytes), out var expiry) && expiry > time.GetUtcNow();
    }

    public static PeerInvite Parse(string code)
    {
        try
        {
            if (!code.Trim().StartsWith(Prefix, StringComparison.Ordinal))
            {
                throw new FormatException();
            }
            var invite = JsonSerializer.Deserialize(FromBase64Url(code.Trim()[Prefix.Length..]), NodeJson.Default.PeerInvite)!;
            if (invite.Id is not { Length: 64 } || invite.Address is null || invite.Secret is null)
            {
                throw new FormatException();
            }
            return invite;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            throw new DupaException(ErrorCode.InvalidInput, "not an invite code (it starts with 'dupa-invite:'); copy it whole");
        }
    }

    private static string Hash(byte[] secret) => Convert.ToHexStringLower(SHA256.HashData(secret));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(padded + new string('=', (4 - (padded.Length % 4)) % 4));
    }
}
