using System.CommandLine;
using System.Globalization;
using Dupa.Cli.Remote;
using Dupa.Core.Errors;
using Dupa.Node.Api;

namespace Dupa.Cli.Commands;

/// <summary>
/// <c>dupa share add|ls|rm|log</c> (a vault shared with other users of the node) and <c>dupa link create|ls|rm</c>
/// (public links), both with <c>--remote NAME</c> (docs/sharing.md).
/// </summary>
public static class ShareCommand
{
    public static Command BuildShare()
    {
        var command = Globals.NewCommand("share", "Share a vault of a node with other users of that node (with --remote).", "dupa share add photos bob --role viewer --remote home");

        var vault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var user = new Argument<string>("USER") { Description = "The username to share with" };
        var role = new Option<string>("--role") { Description = "viewer reads; editor also writes and deletes to the trash; manager also shares", DefaultValueFactory = _ => "viewer", HelpName = "viewer|editor|manager" };
        var add = Globals.NewCommand("add", "Share the vault with a user, or change their role; their copy of the key opens with their own password.",
            "dupa share add photos bob --role editor --remote home");
        add.Add(vault);
        add.Add(user);
        add.Add(role);
        add.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var id = await VaultIdAsync(client, result.GetValue(vault)!, cancellationToken);
            var member = await client.SendJsonAsync<MemberView>(HttpMethod.Put, $"/api/v1/vaults/{id}/members/{Uri.EscapeDataString(result.GetValue(user)!)}",
                new MemberRequest(result.GetValue(role)!), cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(member);
            }
            else
            {
                Console.WriteLine($"{result.GetValue(vault)} is shared with {member.Username} as {member.Role}");
            }
            return ExitCodes.Ok;
        });

        var lsVault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var ls = Globals.NewCommand("ls", "Who has access to a vault: role, added when and by whom.", "dupa share ls photos --remote home");
        ls.Add(lsVault);
        ls.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var id = await VaultIdAsync(client, result.GetValue(lsVault)!, cancellationToken);
            var members = await client.GetAsync<List<MemberView>>($"/api/v1/vaults/{id}/members", cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(members);
                return ExitCodes.Ok;
            }
            foreach (var m in members)
            {
                Console.WriteLine($"{m.Username,-20} {m.Role,-8} {(m.AddedBy is null ? "created " : "added ")}{Output.Time(m.AddedAt)}{(m.AddedBy is { } by ? " by " + by : "")}"
                    + (m.NeedsReshare ? "  NEEDS SHARING AGAIN (an admin reset their password): dupa share add" : "")
                    + (m.PasswordSetByAdmin ? "  (password set by an admin, not yet changed)" : ""));
            }
            return ExitCodes.Ok;
        });

        var rmVault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var rmUser = new Argument<string>("USER") { Description = "The user whose access ends (yourself, to leave a vault shared with you)" };
        var rm = Globals.NewCommand("rm", "Take a user's access away; it ends at once (API, downloads, live events).", "dupa share rm photos bob --remote home");
        rm.Add(rmVault);
        rm.Add(rmUser);
        rm.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var id = await VaultIdAsync(client, result.GetValue(rmVault)!, cancellationToken);
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/vaults/{id}/members/{Uri.EscapeDataString(result.GetValue(rmUser)!)}", cancellationToken: cancellationToken);
            Console.WriteLine("removed");
            Console.Error.WriteLine($"to keep them out of what is written from now on, rotate the vault's key: dupa vault rotate-key {result.GetValue(rmVault)} --remote NAME");
            return ExitCodes.Ok;
        });

        var logVault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var log = Globals.NewCommand("log", "Who did what to a vault, newest first.", "dupa share log photos --remote home");
        log.Add(logVault);
        log.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var id = await VaultIdAsync(client, result.GetValue(logVault)!, cancellationToken);
            var entries = await client.GetAsync<List<AuditView>>($"/api/v1/vaults/{id}/audit", cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(entries);
                return ExitCodes.Ok;
            }
            foreach (var e in entries)
            {
                Console.WriteLine($"{Output.Time(e.At)}  {e.Actor,-16} {e.Action,-14} {e.Target}{(e.Path is { } path ? " " + path : "")}".TrimEnd());
            }
            return ExitCodes.Ok;
        });

        command.Add(add);
        command.Add(ls);
        command.Add(rm);
        command.Add(log);
        return command;
    }

    public static Command BuildLink()
    {
        var command = Globals.NewCommand("link", "Public links to a file or folder of a node's vault (with --remote).", "dupa link create photos /Trip --expires 7d --remote home");

        var vault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var path = new Argument<string>("PATH") { Description = "The file or folder in the vault" };
        var drop = new Option<bool>("--drop") { Description = "An upload-only link to a folder: visitors add files, and see none" };
        var passwordFile = new Option<string?>("--password-file") { Description = "Protect the link with the password in this file", HelpName = "FILE" };
        var expires = new Option<string?>("--expires") { Description = "When the link stops working: a time (ISO 8601) or a duration such as 12h or 7d", HelpName = "WHEN" };
        var maxUses = new Option<long?>("--max-uses") { Description = "How many downloads (or uploads, for --drop) it allows", HelpName = "N" };
        var create = Globals.NewCommand("create", "Make a link; its URL is printed once (the node keeps only a hash of it).",
            "dupa link create photos /Trip/beach.jpg --max-uses 3 --remote home");
        create.Add(vault);
        create.Add(path);
        create.Add(drop);
        create.Add(passwordFile);
        create.Add(expires);
        create.Add(maxUses);
        create.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var id = await VaultIdAsync(client, result.GetValue(vault)!, cancellationToken);
            var password = result.GetValue(passwordFile) is { } file ? (await File.ReadAllTextAsync(file, cancellationToken)).TrimEnd('\r', '\n') : null;
            var request = new CreateLinkRequest(result.GetValue(path)!, result.GetValue(drop) ? "drop" : "read", password,
                result.GetValue(expires) is { } when ? ParseExpiry(when) : null, result.GetValue(maxUses));
            var made = await client.SendJsonAsync<CreatedLink>(HttpMethod.Post, $"/api/v1/vaults/{id}/links", request, cancellationToken);
            var url = client.Url.TrimEnd('/') + made.Url;
            if (result.GetValue(Globals.Json))
            {
                Output.Json(new LinkMadeJson(made.Id, url, made.Link));
            }
            else
            {
                Console.WriteLine(url);
                Console.Error.WriteLine($"link {made.Id}: {made.Link.Kind} {made.Link.Path}; the URL is shown this once");
            }
            return ExitCodes.Ok;
        });

        var lsVault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var ls = Globals.NewCommand("ls", "A vault's links: state, uses and last use.", "dupa link ls photos --remote home");
        ls.Add(lsVault);
        ls.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var id = await VaultIdAsync(client, result.GetValue(lsVault)!, cancellationToken);
            var links = await client.GetAsync<List<LinkView>>($"/api/v1/vaults/{id}/links", cancellationToken);
            if (result.GetValue(Globals.Json))
            {
                Output.Json(links);
                return ExitCodes.Ok;
            }
            foreach (var l in links)
            {
                var uses = l.MaxUses is { } max ? $"{l.Uses}/{max}" : l.Uses.ToString(CultureInfo.InvariantCulture);
                Console.WriteLine($"{l.Id}  {l.Kind,-4} {l.State,-9} {uses,6} uses{(l.LastUsedAt is { } t ? ", last " + Output.Time(t) : "")}  {l.Path}{(l.HasPassword ? "  (password)" : "")}");
            }
            return ExitCodes.Ok;
        });

        var rmVault = new Argument<string>("VAULT") { Description = "The vault's name (or ID) on the node" };
        var rmId = new Argument<string>("ID") { Description = "The link's ID, as 'dupa link ls' prints it" };
        var rm = Globals.NewCommand("rm", "Revoke a link: it stops working at once.", "dupa link rm photos 3f2a9c01d4e5b6a7 --remote home");
        rm.Add(rmVault);
        rm.Add(rmId);
        rm.SetAction(async (result, cancellationToken) =>
        {
            using var client = Client(result);
            var id = await VaultIdAsync(client, result.GetValue(rmVault)!, cancellationToken);
            await client.SendAsync(HttpMethod.Delete, $"/api/v1/vaults/{id}/links/{Uri.EscapeDataString(result.GetValue(rmId)!)}", cancellationToken: cancellationToken);
            Console.WriteLine("revoked");
            return ExitCodes.Ok;
        });

        command.Add(create);
        command.Add(ls);
        command.Add(rm);
        return command;
    }

    /// <summary>"12h", "7d", "30m", or an ISO 8601 time.</summary>
    internal static DateTimeOffset ParseExpiry(string text)
    {
        if (text.Length >= 2 && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            var span = text[^1] switch { 'm' => TimeSpan.FromMinutes(n), 'h' => TimeSpan.FromHours(n), 'd' => TimeSpan.FromDays(n), _ => (TimeSpan?)null };
            if (span is { } s)
            {
                return TimeProvider.System.GetUtcNow() + s;
            }
        }
        return Globals.ParseTime(text);
    }

    private static NodeClient Client(ParseResult result)
    {
        var name = result.GetValue(Globals.Remote) ?? throw new DupaException(ErrorCode.InvalidInput, "sharing is a node's: give --remote NAME (see 'dupa login')");
        var node = RemoteStore.Get(name);
        return new NodeClient(node.Url, node.Fingerprint, node.Token);
    }

    private static async Task<string> VaultIdAsync(NodeClient client, string nameOrId, CancellationToken cancellationToken)
    {
        var vaults = await client.GetAsync<List<VaultView>>("/api/v1/vaults", cancellationToken);
        return (vaults.FirstOrDefault(v => v.Name == nameOrId && v.Role == "owner") ?? vaults.FirstOrDefault(v => v.Name == nameOrId) ?? vaults.FirstOrDefault(v => v.Id == nameOrId)
            ?? throw new DupaException(ErrorCode.NotFound, $"no vault '{nameOrId}' on the node")).Id;
    }
}
