using System.CommandLine;
using Dupa.Core.Errors;
using Dupa.Node.Api;

namespace Dupa.Cli.Remote;

/// <summary><c>dupa login</c>, <c>dupa logout</c> and <c>dupa remote ls</c>: the nodes the CLI works with through <c>--remote NAME</c>.</summary>
public static class LoginCommand
{
    public static Command BuildLogin()
    {
        var url = new Argument<string>("URL") { Description = "The node's address, e.g. https://127.0.0.1:8443" };
        var name = new Option<string>("--name") { Description = "The name to use with --remote", Required = true, HelpName = "NAME" };
        var user = new Option<string>("--user") { Description = "The account on the node", DefaultValueFactory = _ => Environment.UserName, HelpName = "USER" };
        var passwordFile = new Option<string?>("--password-file") { Description = "Read the password from this file (default: $DUPA_PASSWORD, else a prompt)", HelpName = "FILE" };
        var fingerprint = new Option<string?>("--fingerprint") { Description = "The node certificate's SHA-256 fingerprint as 'dupa serve' printed it; without it the first one seen is trusted, as ssh does", HelpName = "AA:BB:..." };
        var command = Globals.NewCommand("login", "Log in to a node and remember it (an API token and its certificate's fingerprint) for --remote NAME.",
            "DUPA_PASSWORD=... dupa login https://nas.local:8443 --name home --user alice");
        command.Add(url);
        command.Add(name);
        command.Add(user);
        command.Add(passwordFile);
        command.Add(fingerprint);
        command.SetAction(async (result, cancellationToken) =>
        {
            var remoteName = result.GetValue(name)!;
            if (remoteName.Length is 0 or > 64 || remoteName.Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')))
            {
                throw new DupaException(ErrorCode.InvalidInput, "a node name is 1 to 64 letters, digits, '-', '_' or '.'");
            }
            var expected = result.GetValue(fingerprint)?.Trim().ToUpperInvariant();
            var known = RemoteStore.All().FirstOrDefault(r => r.Name == remoteName);
            using var first = new NodeClient(result.GetValue(url)!, pinnedFingerprint: null);
            await first.GetAsync<System.Text.Json.JsonElement>("/healthz", cancellationToken);
            var seen = first.SeenFingerprint;
            if (seen is not null && expected is not null && seen != expected)
            {
                throw new DupaException(ErrorCode.Untrusted, $"the node presented certificate {seen}, not {expected}; not logging in");
            }
            if (seen is not null && expected is null && known?.Fingerprint is { } pinned && pinned != seen && known.Url == first.Url)
            {
                throw new DupaException(ErrorCode.Untrusted,
                    $"the node's certificate changed: {pinned} was pinned, {seen} is presented; if that is expected, log in again with --fingerprint {seen}");
            }
            var password = Secrets.NodePassword(result.GetValue(passwordFile));
            var login = await first.SendJsonAsync<LoginResponse>(HttpMethod.Post, "/api/v1/auth/login", new LoginRequest(result.GetValue(user)!, password), cancellationToken);
            using var session = new NodeClient(first.Url, seen, login.AccessToken);
            var token = await session.SendJsonAsync<CreatedToken>(HttpMethod.Post, "/api/v1/tokens",
                new CreateTokenRequest($"dupa CLI on {Environment.MachineName} ({remoteName})", login.User.Role == "admin" ? "read write admin" : "read write", null), cancellationToken);
            if (known is not null && known.Url == first.Url)
            {
                // The previous login's token is replaced: revoke it rather than leave it valid and forgotten.
                try
                {
                    await session.SendAsync(HttpMethod.Delete, $"/api/v1/tokens/{Uri.EscapeDataString(known.TokenId)}", cancellationToken: cancellationToken);
                }
                catch (DupaException)
                {
                    // Already revoked or from another account: nothing to undo.
                }
            }
            RemoteStore.Save(new RemoteNode(remoteName, first.Url, seen, login.User.Username, token.Id, token.Token));
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new LoggedInJson(remoteName, first.Url, seen, login.User.Username));
            }
            else
            {
                if (seen is not null && expected is null && known?.Fingerprint != seen)
                {
                    Console.Error.WriteLine($"dupa: trusting {first.Url} with certificate SHA-256 {seen} (compare it with what 'dupa serve' printed)");
                }
                Console.WriteLine($"logged in to {first.Url} as {login.User.Username}; use --remote {remoteName}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildLogout()
    {
        var name = new Argument<string>("NAME") { Description = "The node's name" };
        var command = Globals.NewCommand("logout", "Revoke this CLI's token on a node and forget the node.", "dupa logout home");
        command.Add(name);
        command.SetAction(async (result, cancellationToken) =>
        {
            var remote = RemoteStore.Get(result.GetValue(name)!);
            try
            {
                using var client = new NodeClient(remote.Url, remote.Fingerprint, remote.Token);
                await client.SendAsync(HttpMethod.Delete, $"/api/v1/tokens/{Uri.EscapeDataString(remote.TokenId)}", cancellationToken: cancellationToken);
            }
            catch (DupaException e) when (e.Code is ErrorCode.Io or ErrorCode.WrongPassphrase or ErrorCode.NotFound)
            {
                Console.Error.WriteLine($"dupa: warning: the token could not be revoked on the node ({e.Message}); revoke it there");
            }
            RemoteStore.Remove(remote.Name);
            Console.WriteLine($"logged out of {remote.Name}");
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildRemote()
    {
        var ls = Globals.NewCommand("ls", "List the nodes this CLI is logged in to.", "dupa remote ls");
        ls.SetAction(result =>
        {
            var nodes = RemoteStore.All().Select(r => new RemoteNodeJson(r.Name, r.Url, r.User, r.Fingerprint)).ToList();
            if (result.GetValue(Globals.Json))
            {
                Output.Json(nodes);
                return ExitCodes.Ok;
            }
            nodes.ForEach(n => Console.WriteLine($"{n.Name}  {n.Url}  {n.User}  {n.Fingerprint ?? "(plain HTTP)"}"));
            return ExitCodes.Ok;
        });
        var command = Globals.NewCommand("remote", "The nodes this CLI is logged in to (see 'dupa login').", "dupa remote ls");
        command.Add(ls);
        return command;
    }
}
