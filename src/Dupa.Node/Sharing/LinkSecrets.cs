using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;

namespace Dupa.Node.Sharing;

/// <summary>
/// The secrets of public links (docs/sharing.md, Links): 32 random bytes (256 bits) in base64url, 43 characters,
/// kept only as their SHA-256. Also the short-lived access tokens a visitor gets for a password-protected link
/// once the password is right, so the browser can follow plain download links without resending the password.
/// </summary>
public sealed class LinkSecrets(TimeProvider time)
{
    public const int SecretLength = 43;
    public static readonly TimeSpan AccessLifetime = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, (string LinkId, DateTimeOffset ExpiresAt)> _access = new(StringComparer.Ordinal);

    public static string NewSecret() => Base64Url(RandomNumberGenerator.GetBytes(32));

    /// <summary>The stored form of a secret; null for text that cannot be one (so it is not even looked up).</summary>
    public static byte[]? HashOf(string? secret) =>
        secret is { Length: SecretLength } && secret.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? SHA256.HashData(Encoding.ASCII.GetBytes(secret))
            : null;

    /// <summary>A token that stands for "the password of this link was given", for <see cref="AccessLifetime"/>.</summary>
    public (string Token, DateTimeOffset ExpiresAt) IssueAccess(string linkId)
    {
        var now = time.GetUtcNow();
        foreach (var expired in _access.Where(a => a.Value.ExpiresAt <= now).Select(a => a.Key).ToList())
        {
            _access.TryRemove(expired, out _);
        }
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var expiresAt = now + AccessLifetime;
        _access[Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)))] = (linkId, expiresAt);
        return (token, expiresAt);
    }

    public bool HasAccess(string? token, string linkId) =>
        token is { Length: > 0 and < 100 }
        && _access.TryGetValue(Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token))), out var access)
        && access.ExpiresAt > time.GetUtcNow()
        && string.Equals(access.LinkId, linkId, StringComparison.Ordinal);

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
