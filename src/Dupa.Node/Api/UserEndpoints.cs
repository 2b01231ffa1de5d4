using System.Security.Cryptography;
using Dupa.Core.Errors;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Dupa.Node.Sharing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record CreateUserRequest(string Username, string Password, string? Role, long? QuotaBytes);

public sealed record SetQuotaRequest(long QuotaBytes);

public sealed record ResetPasswordRequest(string Password);

/// <summary>
/// What an admin's password reset did: the user's sessions and API tokens ended, and the vaults shared with them
/// (<c>SharedVaultsToReshare</c>) cannot be opened with their new key pair until each owner shares them again.
/// </summary>
public sealed record PasswordResetView(string Username, int SharedVaultsToReshare, string Notice);

public sealed record CreateInviteRequest(int? ExpiresInDays);

public sealed record InviteView(string Invite, DateTimeOffset ExpiresAt);

public sealed record SignupRequest(string Username, string Password, string? Invite);

public sealed record UserAdminView(string Id, string Username, string Role, long QuotaBytes, DateTimeOffset CreatedAt);

/// <summary>The admin's user management. The admin sees accounts, never their files.</summary>
public static class UserEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization(Scopes.Admin);
        users.MapGet("/", (NodeDatabase database) => database.Users().Select(View).ToList()).WithSummary("List the node's users (admin)");
        users.MapPost("/", (CreateUserRequest request, NodeDatabase database, PasswordHasher hasher, UserKeys keys, TimeProvider time) =>
        {
            var role = request.Role ?? Roles.User;
            if (role is not (Roles.User or Roles.Admin) || request.QuotaBytes is < 0)
            {
                throw new DupaException(ErrorCode.InvalidInput, "role is 'user' or 'admin'; a quota is zero (none) or more bytes");
            }
            if (database.FindUserByName(request.Username ?? "") is not null)
            {
                throw new DupaException(ErrorCode.AlreadyExists, $"the username '{request.Username}' is taken");
            }
            var user = AuthEndpoints.NewUser(request.Username!, request.Password, role, hasher, time) with { QuotaBytes = request.QuotaBytes ?? 0 };
            database.AddUser(user);
            // The admin chose this password, so could open this pair: it is replaced at the user's first own change.
            keys.Create(user, request.Password, setByAdmin: true);
            return Results.Created($"/api/v1/users/{user.Id}", View(user));
        }).WithSummary("Create a user (admin)");
        users.MapPut("/{id}/quota", (string id, SetQuotaRequest request, NodeDatabase database) =>
        {
            if (database.FindUser(id) is null)
            {
                throw new DupaException(ErrorCode.NotFound, "no such user");
            }
            if (request.QuotaBytes < 0)
            {
                throw new DupaException(ErrorCode.InvalidInput, "a quota is zero (none) or more bytes");
            }
            database.SetQuota(id, request.QuotaBytes);
            return Results.NoContent();
        }).WithSummary("Set a user's storage quota in bytes; 0 means none (admin)");

        users.MapPost("/{id}/password", ResetPassword).Produces<PasswordResetView>()
            .WithSummary("Set another user's password (admin). Their vault-sharing key cannot be carried over: vaults shared with them must be shared again; their own vaults still open with their passphrases or recovery keys");

        app.MapPost("/api/v1/invites", (CreateInviteRequest request, HttpContext context, NodeDatabase database, TimeProvider time) =>
        {
            var days = request.ExpiresInDays ?? 7;
            if (days is < 1 or > 365)
            {
                throw new DupaException(ErrorCode.InvalidInput, "an invite lasts 1 to 365 days");
            }
            var code = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            database.AddInvite(TokenService.Hash(code), context.User.FindFirst("sub")!.Value, time.GetUtcNow().AddDays(days));
            return Results.Created("/api/v1/auth/signup", new InviteView(code, time.GetUtcNow().AddDays(days)));
        }).RequireAuthorization(Scopes.Admin).WithTags("Users").WithSummary("Create a one-time invite code for a new user (admin)");

        app.MapPost("/api/v1/auth/signup", (SignupRequest request, HttpContext context, NodeOptions options, NodeDatabase database, PasswordHasher hasher, LoginThrottle throttle, UserKeys keys, TimeProvider time) =>
        {
            var address = context.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            if (throttle.RetryAfter("signup", address) is not null)
            {
                return ProblemMapping.Problem(StatusCodes.Status429TooManyRequests, "too_many_attempts", "too many failed signups; try again later");
            }
            if (database.FindUserByName(request.Username ?? "") is not null)
            {
                throw new DupaException(ErrorCode.AlreadyExists, $"the username '{request.Username}' is taken");
            }
            var user = AuthEndpoints.NewUser(request.Username!, request.Password, Roles.User, hasher, time);
            var open = string.Equals(options.Signup, "open", StringComparison.OrdinalIgnoreCase);
            if (!open && (request.Invite is null || !database.UseInvite(TokenService.Hash(request.Invite), user.Id, time.GetUtcNow())))
            {
                throttle.Failed("signup", address);
                return ProblemMapping.Problem(StatusCodes.Status403Forbidden, "invite_required", "signing up needs a valid, unused invite from the admin");
            }
            database.AddUser(user);
            keys.Create(user, request.Password);
            return Results.Created("/api/v1/auth/me", new UserView(user.Id, user.Username, user.Role));
        }).AllowAnonymous().WithTags("Auth").WithSummary("Create an account: with an admin's invite, or freely when signup is open");
    }

    private static IResult ResetPassword(string id, ResetPasswordRequest request, HttpContext context, NodeDatabase database, PasswordHasher hasher, UserKeys keys,
        VaultActivity activity, TimeProvider time)
    {
        var admin = CurrentUser.Get(context.User, database);
        var user = database.FindUser(id ?? "") ?? throw new DupaException(ErrorCode.NotFound, "no such user");
        if (user.Id == admin.Id)
        {
            throw new DupaException(ErrorCode.InvalidInput, "change your own password with POST /api/v1/auth/password, which keeps your vault-sharing key");
        }
        // The same rules as for a new account.
        var hash = AuthEndpoints.NewUser(user.Username, request?.Password!, user.Role, hasher, time).PasswordHash;
        var shared = keys.Reset(user, request!.Password, hash);
        foreach (var (vault, _) in database.VaultsSharedWith(user.Id))
        {
            activity.Record(vault.Id, admin.Id, admin.Username, "share.key_reset", user.Username, null);
        }
        var notice = shared == 0
            ? $"{user.Username}'s password is set; their sessions and API tokens have ended. No vault is shared with them."
            : $"{user.Username}'s password is set; their sessions and API tokens have ended. The {shared} vault(s) shared with them cannot be opened with " +
              "their new key until each owner or manager shares them again; their own vaults still open with their passphrases or recovery keys.";
        return Results.Ok(new PasswordResetView(user.Username, shared, notice));
    }

    private static UserAdminView View(User user) => new(user.Id, user.Username, user.Role, user.QuotaBytes, user.CreatedAt);
}
