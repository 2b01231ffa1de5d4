using Dupa.Core.Errors;
using Dupa.Node.Data;
using Dupa.Node.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Dupa.Node.Api;

public sealed record CreateUserRequest(string Username, string Password, string? Role, long? QuotaBytes);

public sealed record UserAdminView(string Id, string Username, string Role, long QuotaBytes, DateTimeOffset CreatedAt);

/// <summary>The admin's user management. The admin sees accounts, never their files.</summary>
public static class UserEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        var users = app.MapGroup("/api/v1/users").WithTags("Users").RequireAuthorization(Scopes.Admin);
        users.MapGet("/", (NodeDatabase database) => database.Users().Select(View)).WithSummary("List the node's users (admin)");
        users.MapPost("/", (CreateUserRequest request, NodeDatabase database, PasswordHasher hasher, TimeProvider time) =>
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
            return Results.Created($"/api/v1/users/{user.Id}", View(user));
        }).WithSummary("Create a user (admin)");
    }

    private static UserAdminView View(User user) => new(user.Id, user.Username, user.Role, user.QuotaBytes, user.CreatedAt);
}
