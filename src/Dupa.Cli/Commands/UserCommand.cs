using System.CommandLine;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Node.Api;

namespace Dupa.Cli.Commands;

/// <summary><c>dupa user ls|passwd</c>: a node's accounts, for its admin (with <c>--remote NAME</c>; docs/sharing.md, Users' keys).</summary>
public static class UserCommand
{
    public static Command Build()
    {
        var command = Globals.NewCommand("user", "A node's user accounts, for its admin (with --remote).", "dupa user passwd bob --remote home");

        var ls = Globals.NewCommand("ls", "List the node's users: role and quota.", "dupa user ls --remote home");
        ls.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var users = await client.GetAsync<List<UserAdminView>>("/api/v1/users", cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(users);
                return ExitCodes.Ok;
            }
            foreach (var u in users)
            {
                Console.WriteLine($"{u.Username,-20} {u.Role,-6} {(u.QuotaBytes > 0 ? Output.Size(u.QuotaBytes) : "no quota")}");
            }
            return ExitCodes.Ok;
        });

        var user = new Argument<string>("USER") { Description = "The username whose password you set" };
        var passwordFile = new Option<string?>("--password-file") { Description = "Read the new password from this file (default: $DUPA_NEW_PASSWORD, else a prompt)", HelpName = "FILE" };
        var passwd = Globals.NewCommand("passwd",
            "Set another user's password. Their sessions and API tokens end; the vaults shared with them must be shared again (their sharing key cannot be carried over); their own vaults still open with their passphrases or recovery keys.",
            "DUPA_NEW_PASSWORD='temporary words' dupa user passwd bob --remote home");
        passwd.Add(user);
        passwd.Add(passwordFile);
        passwd.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var name = result.GetValue(user)!;
            var users = await client.GetAsync<List<UserAdminView>>("/api/v1/users", cancellationToken);
            var found = users.FirstOrDefault(u => string.Equals(u.Username, name, StringComparison.OrdinalIgnoreCase))
                ?? throw new DupaException(ErrorCode.NotFound, $"no user named '{name}' on the node");
            var password = Secrets.NewNodePassword(result.GetValue(passwordFile));
            var reset = await client.SendJsonAsync<PasswordResetView>(HttpMethod.Post, $"/api/v1/users/{Uri.EscapeDataString(found.Id)}/password",
                new ResetPasswordRequest(password), cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(reset);
            }
            else
            {
                Console.WriteLine(reset.Notice);
                if (reset.SharedVaultsToReshare > 0)
                {
                    Console.WriteLine($"Tell {reset.Username} to change this password at once, and each owner to share their vaults with {reset.Username} again " +
                        "('dupa share add VAULT USER --role ROLE' after that change), so that no one else can open them.");
                }
            }
            return ExitCodes.Ok;
        });

        command.Add(ls);
        command.Add(passwd);
        return command;
    }

    private static NodeClient Client(ParseResult result)
    {
        var name = result.GetValue(Globals.Remote) ?? throw new DupaException(ErrorCode.InvalidInput, "users are a node's: give --remote NAME (see 'dupa login')");
        var node = RemoteStore.Get(name);
        return new NodeClient(node.Url, node.Fingerprint, node.Token);
    }
}
