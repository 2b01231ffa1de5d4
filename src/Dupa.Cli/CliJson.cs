using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Dupa.Core.Files;
using Dupa.Core.Index;
using Dupa.Core.Manifest;
using Dupa.Core.Retention;
using Dupa.Core.Search;
using Dupa.Core.Vaults;
using Dupa.Node;
using Dupa.Node.Api;
using Dupa.Node.Peers;

namespace Dupa.Cli;

// The shapes that '--json' prints; a node's requests and answers are in NodeJson, remotes.json in
// RemoteStoreJson. They are source-generated, not found by reflection: the published executable is compiled ahead of
// time, where reflection cannot make serializers. Output.Json prints them camelCased with enums as camelCase
// strings; a node's answers are read with the web defaults (CliJson.Web).

public sealed record InitJson(string Vault, string VaultId, string? Device, string RecoveryKey);

public sealed record LsJson(string Name, string Path, NodeType Type, long Size, DateTimeOffset Mtime, string Mode, int Versions, string? Target);

public sealed record HistoryJson(int Version, DateTimeOffset Stored, long Size, DateTimeOffset Mtime, string Device, string Id);

public sealed record FindJson(int Total, IEnumerable<FindHitJson> Hits);

public sealed record FindHitJson(string Path, NodeType Type, long Size, DateTimeOffset Mtime, string? Mime, int Version, HitSource Source, string? TrashItem, IReadOnlyCollection<string> Tags);

public sealed record RemovedJson(string Path, string TrashItem);

public sealed record TrashItemJson(string Item, string Path, DateTimeOffset Deleted, NodeType Type, int Files, long Size);

public sealed record RestoredJson(string Item, string Path);

public sealed record LockJson(string Path, DateTimeOffset Until);

public sealed record PolicyJson(int TrashDays, IReadOnlyList<KeepRule> Rules,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IEnumerable<LockStateJson>? Locks = null);

public sealed record LockStateJson(string Prefix, DateTimeOffset Until, bool Active);

public sealed record ForgetJson(bool DryRun, IEnumerable<ForgetVersionJson> Versions, IEnumerable<ForgetTrashJson> Trash, int VersionsForgotten, int TrashItemsPurged);

public sealed record ForgetVersionJson(string Path, string Version, DateTimeOffset Stored, long Size, bool Keep, IReadOnlyList<string> Reasons);

public sealed record ForgetTrashJson(string Item, string Path, DateTimeOffset ExpiredAt, bool Purge, DateTimeOffset? LockedUntil);

public sealed record RecoveredJson(string Vault, int Files, string Device, bool Clean, IReadOnlyList<VerifyProblem> Problems);

public sealed record DeviceIdJson(string DeviceId, string DeviceIdHex);

public sealed record LinkMadeJson(string Id, string Url, LinkView Link);

public sealed record LoggedInJson(string Name, string Url, string? Fingerprint, string User);

public sealed record RemoteNodeJson(string Name, string Url, string User, string? Fingerprint);

public sealed record RemotePutJson(int FilesAdded, int FilesChanged, int FilesUnchanged, long BytesSent, List<string> Errors, List<string> Warnings);

[JsonSerializable(typeof(InitJson))]
[JsonSerializable(typeof(IEnumerable<LsJson>))]
[JsonSerializable(typeof(List<HistoryJson>))]
[JsonSerializable(typeof(FindJson))]
[JsonSerializable(typeof(List<RemovedJson>))]
[JsonSerializable(typeof(List<TrashItemJson>))]
[JsonSerializable(typeof(RestoredJson))]
[JsonSerializable(typeof(LockJson))]
[JsonSerializable(typeof(PolicyJson))]
[JsonSerializable(typeof(ForgetJson))]
[JsonSerializable(typeof(RecoveredJson))]
[JsonSerializable(typeof(DeviceIdJson))]
[JsonSerializable(typeof(LinkMadeJson))]
[JsonSerializable(typeof(LoggedInJson))]
[JsonSerializable(typeof(List<RemoteNodeJson>))]
[JsonSerializable(typeof(RemotePutJson))]
[JsonSerializable(typeof(PutResult))]
[JsonSerializable(typeof(GetResult))]
[JsonSerializable(typeof(RebuildResult))]
[JsonSerializable(typeof(IReadOnlyList<TreeChange>))]
[JsonSerializable(typeof(System.Text.Json.JsonElement))]
[JsonSerializable(typeof(IReadOnlyList<EntryView>))]
[JsonSerializable(typeof(IReadOnlyList<PeerView>))]
internal sealed partial class CliJson : JsonSerializerContext
{
    /// <summary>The CLI's shapes and the node's (its requests and answers), which the CLI prints too.</summary>
    /// <remarks>Made at first use: a static initializer here could run before the generated half sets Default.</remarks>
    public static IJsonTypeInfoResolver Resolver => field ??= JsonTypeInfoResolver.Combine(Default, NodeJson.Default);

    /// <summary>How the CLI reads and writes a node's JSON: the web defaults.</summary>
    public static JsonSerializerOptions Web => field ??= new(JsonSerializerDefaults.Web) { TypeInfoResolver = Resolver };

    /// <summary>A type's metadata under <see cref="Web"/>: what the serializer's calls take in place of options.</summary>
    public static JsonTypeInfo<T> WebInfo<T>() => (JsonTypeInfo<T>)Web.GetTypeInfo(typeof(T));
}
