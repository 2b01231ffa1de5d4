using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Dupa.Core.Errors;
using Dupa.Node.Data;
using Dupa.Node.Metrics;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record LoginRequest(string Username, string Password);

public sealed record SetupRequest(string Token, string Username, string Password);

public sealed record ChangePasswordRequest(string Current, string New);

public sealed record LoginResponse(string AccessToken, string TokenType, int ExpiresIn, UserView User);

public sealed record UserView(string Id, string Username, string Role);

public sealed record CreateTokenRequest(string Name, string? Scopes, DateTimeOffset? ExpiresAt);

/// <summary>
/// Who a token belongs to, with their storage: quota (0: none) and bytes their vaults take on disk.
/// <c>PasswordSetByAdmin</c>: an admin chose the current password (a new account, or a reset), so it should be changed.
/// </summary>
public sealed record MeView(string Id, string Username, string Role, long QuotaBytes, long UsedBytes, bool PasswordSetByAdmin = false);

public sealed record TokenView(string Id, string Name, string Scopes, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt, bool Revoked);

public sealed record CreatedToken(string Id, string Token, string Scopes, DateTimeOffset? ExpiresAt);

/// <summary>Setup of the first admin, login, refresh, logout, and API tokens.</summary>
public static partial class AuthEndpoints
{
    public const string RefreshCookie = "dupa_refresh";
    public const string CsrfHeader = "X-Dupa-CSRF";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex UsernamePattern();

    public static void Map(IEndpointRouteBuilder app)
    {
        var auth = app.MapGroup("/api/v1/auth").WithTags("Auth");
        auth.MapPost("/setup", Setup).WithSummary("Create the first admin with the one-time setup token printed at first start");
        auth.MapPost("/login", Login).Produces<LoginResponse>().WithSummary("Log in: returns a short-lived access token and sets a refresh cookie");
        auth.MapPost("/refresh", Refresh).Produces<LoginResponse>().WithSummary("Exchange the refresh cookie for a new access token (the cookie rotates; send the X-Dupa-CSRF header)");
        auth.MapPost("/logout", Logout).WithSummary("Revoke this session's refresh tokens (send the X-Dupa-CSRF header)");
        auth.MapPost("/password", ChangePassword).RequireAuthorization(Scopes.Write)
            .WithSummary("Change your password (the current one is required and counted like a login); your other sessions are logged out, API tokens stay");
        auth.MapGet("/me", (HttpContext context, NodeDatabase database, Vaults.VaultSessions sessions) =>
            CurrentUser.Get(context.User, database) is var user
                ? new MeView(user.Id, user.Username, user.Role, user.QuotaBytes, sessions.BytesUsedBy(user), database.FindUserKey(user.Id)?.SetByAdmin == true)
                : null)
            .RequireAuthorization(Scopes.Read).WithSummary("Who the token belongs to, with their quota and the bytes their vaults take");

        var tokens = app.MapGroup("/api/v1/tokens").WithTags("Auth").RequireAuthorization(Scopes.Read);
        tokens.MapGet("/", (HttpContext context, NodeDatabase database) =>
            database.ApiTokensOf(CurrentUser.Get(context.User, database).Id).Select(t => new TokenView(t.Id, t.Name, t.Scopes, t.ExpiresAt, t.CreatedAt, t.Revoked)).ToList())
            .WithSummary("List your API tokens");
        tokens.MapPost("/", CreateToken).Produces<CreatedToken>(StatusCodes.Status201Created).RequireAuthorization(Scopes.Write).WithSummary("Create an API token for scripts and the CLI (shown once)");
        tokens.MapDelete("/{id}", (string id, HttpContext context, NodeDatabase database) =>
            database.RevokeApiToken(CurrentUser.Get(context.User, database).Id, id) ? Results.NoContent() : throw new DupaException(ErrorCode.NotFound, "no such token"))
            .RequireAuthorization(Scopes.Write).WithSummary("Revoke an API token");
    }

    private static IResult Setup(SetupRequest request, HttpContext context, SetupToken setup, NodeDatabase database, PasswordHasher hasher, UserKeys keys, TimeProvider time)
    {
        if (database.UserCount() > 0 || !setup.Matches(request.Token))
        {
            return ProblemMapping.Problem(StatusCodes.Status403Forbidden, "setup_closed", "setup is done, or the setup token is wrong");
        }
        var user = NewUser(request.Username, request.Password, Roles.Admin, hasher, time);
        database.AddUser(user);
        keys.Create(user, request.Password);
        setup.Consume();
        return Results.Created("/api/v1/auth/me", View(user));
    }

    private static IResult Login(LoginRequest request, HttpContext context, NodeDatabase database, TokenService tokens, LoginThrottle throttle, PasswordHasher hasher, UserKeys keys,
        NodeMetrics metrics, TimeProvider time)
    {
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.RetryAfter(request.Username ?? "", address) is { } wait)
        {
            metrics.LoginsFailed.Add(1);
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ProblemMapping.Problem(StatusCodes.Status429TooManyRequests, "too_many_attempts", "too many failed logins; try again later");
        }
        var user = request.Username is null ? null : database.FindUserByName(request.Username);
        // Hash even for an unknown user, so timing does not tell which usernames exist.
        var ok = PasswordHasher.Verify(request.Password ?? "", user?.PasswordHash ?? hasher.DummyHash) && user is not null;
        if (!ok)
        {
            throttle.Failed(request.Username ?? "", address);
            metrics.LoginsFailed.Add(1);
            return ProblemMapping.Problem(StatusCodes.Status401Unauthorized, "bad_credentials", "wrong username or password");
        }
        throttle.Succeeded(user!.Username);
        // Accounts made before sharing existed get their key pair now, while the password is known.
        keys.EnsureFor(user, request.Password!);
        SetRefreshCookie(context, tokens.IssueRefreshToken(user.Id), time);
        return Results.Ok(new LoginResponse(tokens.CreateAccessToken(user), "Bearer", (int)tokens.AccessLifetime.TotalSeconds, View(user)));
    }

    private static IResult ChangePassword(ChangePasswordRequest request, HttpContext context, NodeDatabase database, TokenService tokens, LoginThrottle throttle,
        PasswordHasher hasher, UserKeys keys, NodeMetrics metrics, TimeProvider time)
    {
        var user = CurrentUser.Get(context.User, database);
        var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
        if (throttle.RetryAfter(user.Username, address) is { } wait)
        {
            metrics.LoginsFailed.Add(1);
            context.Response.Headers.RetryAfter = ((int)Math.Ceiling(wait.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return ProblemMapping.Problem(StatusCodes.Status429TooManyRequests, "too_many_attempts", "too many wrong passwords; try again later");
        }
        if (!PasswordHasher.Verify(request.Current ?? "", user.PasswordHash))
        {
            throttle.Failed(user.Username, address);
            metrics.LoginsFailed.Add(1);
            return ProblemMapping.Problem(StatusCodes.Status403Forbidden, "wrong_password", "the current password is wrong");
        }
        throttle.Succeeded(user.Username);
        // The same rules as for a new account.
        var replacement = NewUser(user.Username, request.New, user.Role, hasher, time);
        // A fresh key pair, every vault key moved to it, and the new hash, in one transaction: what was sealed under
        // the old password (chosen by an admin, for an account an admin made) opens nothing current afterwards.
        keys.Rotate(user, request.Current!, request.New, replacement.PasswordHash);
        var family = context.Request.Cookies[RefreshCookie] is { } secret ? tokens.FamilyOf(secret) : null;
        database.RevokeSessionsExcept(user.Id, family);
        return Results.NoContent();
    }

    private static IResult Refresh(HttpContext context, TokenService tokens, TimeProvider time)
    {
        if (!context.Request.Headers.ContainsKey(CsrfHeader))
        {
            return ProblemMapping.Problem(StatusCodes.Status403Forbidden, "csrf", $"send the {CsrfHeader} header with cookie-authenticated requests");
        }
        if (context.Request.Cookies[RefreshCookie] is not { } secret || tokens.Rotate(secret) is not { } rotated)
        {
            context.Response.Cookies.Delete(RefreshCookie, CookieOptions(time));
            return ProblemMapping.Problem(StatusCodes.Status401Unauthorized, "session_expired", "the session has ended; log in again");
        }
        SetRefreshCookie(context, rotated.NewSecret, time);
        return Results.Ok(new LoginResponse(tokens.CreateAccessToken(rotated.User), "Bearer", (int)tokens.AccessLifetime.TotalSeconds, View(rotated.User)));
    }

    private static IResult Logout(HttpContext context, TokenService tokens, TimeProvider time)
    {
        if (!context.Request.Headers.ContainsKey(CsrfHeader))
        {
            return ProblemMapping.Problem(StatusCodes.Status403Forbidden, "csrf", $"send the {CsrfHeader} header with cookie-authenticated requests");
        }
        if (context.Request.Cookies[RefreshCookie] is { } secret)
        {
            tokens.Revoke(secret);
        }
        context.Response.Cookies.Delete(RefreshCookie, CookieOptions(time));
        return Results.NoContent();
    }

    private static IResult CreateToken(CreateTokenRequest request, HttpContext context, NodeDatabase database, TokenService tokens, TimeProvider time)
    {
        var user = CurrentUser.Get(context.User, database);
        var scopes = string.IsNullOrWhiteSpace(request.Scopes) ? "read write" : request.Scopes.Trim();
        if (string.IsNullOrWhiteSpace(request.Name) || request.Name.Length > 100 || !Scopes.IsValid(scopes))
        {
            throw new DupaException(ErrorCode.InvalidInput, "a token needs a name (up to 100 characters) and scopes from: read write admin");
        }
        if (scopes.Contains(Scopes.Admin, StringComparison.Ordinal) && !user.IsAdmin)
        {
            return ProblemMapping.Problem(StatusCodes.Status403Forbidden, "forbidden", "only an admin can create admin tokens");
        }
        if (request.ExpiresAt is { } expires && expires <= time.GetUtcNow())
        {
            throw new DupaException(ErrorCode.InvalidInput, "the expiry is in the past");
        }
        var (token, secret) = tokens.CreateApiToken(user, request.Name, scopes, request.ExpiresAt);
        return Results.Created($"/api/v1/tokens/{token.Id}", new CreatedToken(token.Id, secret, token.Scopes, token.ExpiresAt));
    }

    internal static User NewUser(string username, string password, string role, PasswordHasher hasher, TimeProvider time)
    {
        if (username is null || !UsernamePattern().IsMatch(username))
        {
            throw new DupaException(ErrorCode.InvalidInput, "a username is 1 to 64 letters, digits, '.', '_' or '-'");
        }
        if (password is null || password.Length < 8 || password.Length > 1024)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a password is 8 to 1024 characters");
        }
        return new User(Guid.NewGuid().ToString("N"), username, hasher.Hash(password), role, 0, time.GetUtcNow());
    }

    private static UserView View(User user) => new(user.Id, user.Username, user.Role);

    private static void SetRefreshCookie(HttpContext context, string secret, TimeProvider time) =>
        context.Response.Cookies.Append(RefreshCookie, secret, CookieOptions(time, TimeSpan.FromDays(30)));

    private static CookieOptions CookieOptions(TimeProvider time, TimeSpan? lifetime = null) => new()
    {
        HttpOnly = true,
        Secure = true,
        SameSite = SameSiteMode.Strict,
        Path = "/api/v1/auth",
        Expires = lifetime is { } l ? time.GetUtcNow() + l : null,
    };
}

/// <summary>The one-time token that lets the first visitor create the admin; printed at start, compared in constant time.</summary>
public sealed class SetupToken
{
    private byte[]? _hash;

    public string? Issue()
    {
        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
        _hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return token;
    }

    public bool Matches(string? token) =>
        _hash is { } expected && token is not null && CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    public void Consume() => _hash = null;
}
