using System.Security.Claims;
using System.Security.Cryptography;
using Dupa.Node.Data;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Dupa.Node.Security;

/// <summary>
/// Short-lived access tokens (JWT, HS256, with a key made on first start and kept in the data directory with
/// mode 0600), rotating refresh tokens and API tokens. Refresh and API token secrets are 256-bit random
/// values stored only as SHA-256 hashes; a refresh token used twice revokes its whole family (RFC 6819).
/// </summary>
public sealed class TokenService
{
    public const string Issuer = "dupa";
    public const string ApiTokenPrefix = "dupa_";
    private readonly byte[] _keyBytes;
    private Jwt? _jwt;
    private readonly NodeOptions _options;
    private readonly NodeDatabase _database;
    private readonly TimeProvider _time;

    public TokenService(NodeOptions options, NodeDatabase database, TimeProvider time)
    {
        _options = options;
        _database = database;
        _time = time;
        _keyBytes = LoadOrCreateKey(Path.Combine(options.Data, "jwt.key"));
    }

    /// <summary>
    /// The JWT machinery, made at the first token rather than with the service: the authentication handler takes this
    /// service on every request, and an idle node that only answers /healthz need not load Microsoft.IdentityModel.
    /// </summary>
    private sealed class Jwt(byte[] key)
    {
        public SymmetricSecurityKey Key { get; } = new(key);
        public JsonWebTokenHandler Handler { get; } = new();
    }

    private Jwt Signing => LazyInitializer.EnsureInitialized(ref _jwt, () => new Jwt(_keyBytes));

    public TimeSpan AccessLifetime => TimeSpan.FromMinutes(_options.AccessTokenMinutes);

    public string CreateAccessToken(User user)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return Signing.Handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Issuer,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + AccessLifetime,
            Subject = new ClaimsIdentity([new Claim("sub", user.Id), new Claim("name", user.Username), new Claim("role", user.Role)]),
            SigningCredentials = new SigningCredentials(Signing.Key, SecurityAlgorithms.HmacSha256),
        });
    }

    public async Task<ClaimsIdentity?> ValidateAccessTokenAsync(string token)
    {
        var result = await Signing.Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Issuer,
            IssuerSigningKey = Signing.Key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(5),
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return (notBefore is null || notBefore <= now.AddSeconds(5)) && expires is not null && expires > now;
            },
        });
        return result.IsValid ? result.ClaimsIdentity : null;
    }

    /// <summary>A new refresh token in <paramref name="family"/> (a new family at login). Returns the secret for the cookie.</summary>
    public string IssueRefreshToken(string userId, string? family = null)
    {
        var secret = RandomSecret();
        _database.AddRefreshToken(new RefreshToken(Hash(secret), userId, family ?? Guid.NewGuid().ToString("N"),
            _time.GetUtcNow() + TimeSpan.FromDays(_options.RefreshTokenDays), Used: false, Revoked: false));
        return secret;
    }

    /// <summary>
    /// Exchanges a refresh token for a new one. A token that was already used is a stolen copy (or a replay):
    /// its whole family is revoked and null returned.
    /// </summary>
    public (User User, string NewSecret)? Rotate(string secret)
    {
        var hash = Hash(secret);
        var token = _database.FindRefreshToken(hash);
        if (token is null || token.Revoked || token.ExpiresAt <= _time.GetUtcNow())
        {
            return null;
        }
        if (!_database.MarkRefreshTokenUsed(hash))
        {
            _database.RevokeFamily(token.Family);
            return null;
        }
        var user = _database.FindUser(token.UserId);
        return user is null ? null : (user, IssueRefreshToken(user.Id, token.Family));
    }

    /// <summary>The session family a refresh secret belongs to, if it is a known one.</summary>
    public string? FamilyOf(string secret) => _database.FindRefreshToken(Hash(secret))?.Family;

    public void Revoke(string secret)
    {
        if (_database.FindRefreshToken(Hash(secret)) is { } token)
        {
            _database.RevokeFamily(token.Family);
        }
    }

    public (ApiToken Token, string Secret) CreateApiToken(User user, string name, string scopes, DateTimeOffset? expiresAt)
    {
        var secret = ApiTokenPrefix + RandomSecret();
        var token = new ApiToken(Guid.NewGuid().ToString("N")[..12], user.Id, name, scopes, expiresAt, _time.GetUtcNow(), Revoked: false);
        _database.AddApiToken(token, Hash(secret));
        return (token, secret);
    }

    public (User User, ApiToken Token)? ValidateApiToken(string secret)
    {
        var token = _database.FindApiTokenByHash(Hash(secret));
        if (token is null || token.Revoked || (token.ExpiresAt is { } expires && expires <= _time.GetUtcNow()))
        {
            return null;
        }
        return _database.FindUser(token.UserId) is { } user ? (user, token) : null;
    }

    /// <summary>Token secrets are looked up by their SHA-256: the database never holds a usable token.</summary>
    public static byte[] Hash(string secret) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(secret));

    private static string RandomSecret() => Base64UrlEncoder.Encode(RandomNumberGenerator.GetBytes(32));

    private static byte[] LoadOrCreateKey(string path)
    {
        if (File.Exists(path))
        {
            return File.ReadAllBytes(path);
        }
        var key = RandomNumberGenerator.GetBytes(32);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, key);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        return key;
    }
}
