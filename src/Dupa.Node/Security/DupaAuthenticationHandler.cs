using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Dupa.Node.Security;

/// <summary>
/// One scheme for both kinds of bearer token: a JWT access token from login (all scopes of the user's role),
/// or an API token (<c>dupa_…</c>) with its own scopes.
/// </summary>
public sealed class DupaAuthenticationHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, TokenService tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Dupa";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        string token;
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            token = header["Bearer ".Length..].Trim();
        }
        else if (Request.Path.StartsWithSegments("/api/v1/events") && Request.Query["access_token"].ToString() is { Length: > 0 } fromQuery)
        {
            // Browsers cannot set headers on a WebSocket; the event socket alone takes the token in the query.
            token = fromQuery;
        }
        else
        {
            return AuthenticateResult.NoResult();
        }
        if (token.StartsWith(TokenService.ApiTokenPrefix, StringComparison.Ordinal))
        {
            if (tokens.ValidateApiToken(token) is not { } found)
            {
                return AuthenticateResult.Fail("invalid, expired or revoked API token");
            }
            var identity = new ClaimsIdentity([new Claim("sub", found.User.Id), new Claim("name", found.User.Username), new Claim("role", found.User.Role)], SchemeName, "name", "role");
            foreach (var scope in found.Token.Scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                identity.AddClaim(new Claim("scope", scope));
            }
            return Success(identity);
        }
        if (await tokens.ValidateAccessTokenAsync(token) is not { } claims)
        {
            return AuthenticateResult.Fail("invalid or expired access token");
        }
        var session = new ClaimsIdentity(claims.Claims, SchemeName, "name", "role");
        foreach (var scope in Scopes.ForRole(session.FindFirst("role")?.Value))
        {
            session.AddClaim(new Claim("scope", scope));
        }
        return Success(session);
    }

    private static AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
}

/// <summary>What a token may do: read, write, admin.</summary>
public static class Scopes
{
    public const string Read = "read";
    public const string Write = "write";
    public const string Admin = "admin";

    public static IEnumerable<string> ForRole(string? role) => role == Data.Roles.Admin ? [Read, Write, Admin] : [Read, Write];

    public static bool IsValid(string scopes) =>
        scopes.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: > 0 } parts && parts.All(p => p is Read or Write or Admin);
}
