using System.Text.Json;
using System.Text.Json.Serialization;
using Dupa.Core.Errors;
using Dupa.Core.Files;

namespace Dupa.Cli.Remote;

/// <summary>A node the CLI has logged in to: its address, its pinned certificate, and an API token.</summary>
public sealed record RemoteNode(string Name, string Url, string? Fingerprint, string User, string TokenId, string Token);

/// <summary>
/// The CLI's list of nodes: <c>$DUPA_CONFIG</c>, else <c>$XDG_CONFIG_HOME/dupa/remotes.json</c>, else
/// <c>~/.config/dupa/remotes.json</c>. The file holds API tokens, so it is written atomically and readable by
/// its owner only.
/// </summary>
public static class RemoteStore
{
    public static string FilePath =>
        Environment.GetEnvironmentVariable("DUPA_CONFIG") is { Length: > 0 } path ? path
            : Path.Combine(Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } config ? config
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config"), "dupa", "remotes.json");

    public static IReadOnlyList<RemoteNode> All()
    {
        if (!File.Exists(FilePath))
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllBytes(FilePath), RemoteStoreJson.Default.ListRemoteNode) ?? [];
        }
        catch (JsonException e)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"'{FilePath}' is not a list of nodes ({e.Message}); fix or delete it and log in again");
        }
    }

    public static RemoteNode Get(string name) =>
        All().FirstOrDefault(r => r.Name == name)
            ?? throw new DupaException(ErrorCode.NotFound, $"no node named '{name}'; log in first with 'dupa login URL --name {name}'");

    public static void Save(RemoteNode node) => Write([.. All().Where(r => r.Name != node.Name), node]);

    public static bool Remove(string name)
    {
        var all = All();
        Write([.. all.Where(r => r.Name != name)]);
        return all.Any(r => r.Name == name);
    }

    private static void Write(IReadOnlyList<RemoteNode> nodes)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(FilePath)!);
        var temporary = FilePath + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Options = FileOptions.WriteThrough };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }
        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, nodes.OrderBy(n => n.Name, StringComparer.Ordinal).ToList(), RemoteStoreJson.Default.ListRemoteNode);
        }
        File.Move(temporary, FilePath, overwrite: true);
        DurableFile.SyncDirectory(Path.GetDirectoryName(FilePath)!);
    }
}

/// <summary>remotes.json, apart from the CLI's other JSON: a node's token can never reach --json output by mistake.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(List<RemoteNode>))]
internal sealed partial class RemoteStoreJson : JsonSerializerContext;
