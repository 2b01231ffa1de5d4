using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Dupa.Core.Retention;
using Dupa.Core.Storage;

namespace Dupa.Core.Manifest;

/// <summary>One change to the vault, as recorded in a log entry's encrypted payload (docs/format.md, Payload).</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "op")]
[JsonDerivedType(typeof(PutOp), "put")]
[JsonDerivedType(typeof(TrashOp), "trash")]
[JsonDerivedType(typeof(RestoreOp), "restore")]
[JsonDerivedType(typeof(MoveOp), "move")]
[JsonDerivedType(typeof(PurgeOp), "purge")]
[JsonDerivedType(typeof(DeviceOp), "device")]
[JsonDerivedType(typeof(CheckpointOp), "checkpoint")]
[JsonDerivedType(typeof(ForgetOp), "forget")]
[JsonDerivedType(typeof(TagOp), "tag")]
[JsonDerivedType(typeof(PolicyOp), "policy")]
[JsonDerivedType(typeof(LockOp), "lock")]
[JsonDerivedType(typeof(KeyOp), "key")]
public abstract record Operation;

[JsonConverter(typeof(JsonStringEnumConverter<NodeType>))]
public enum NodeType
{
    [JsonStringEnumMemberName("file")] File,
    [JsonStringEnumMemberName("dir")] Directory,
    [JsonStringEnumMemberName("symlink")] Symlink,
}

/// <summary>
/// A chunk of a file: its ID (base64 in a payload) and plaintext length. A value of 40 bytes held in its list: as a
/// record holding the ID's base64 text it took 144 bytes a chunk of every version the state holds.
/// </summary>
public readonly record struct ChunkRef([property: JsonConverter(typeof(ChunkIdBase64Converter)), JsonRequired] ChunkId Id, [property: JsonRequired] int Len);

/// <summary>A new version of a file or symlink, or a directory's metadata. Content is inline chunks or a list blob.</summary>
public sealed record PutOp(string Path, NodeType Type, long Size, long Mtime, int Mode) : Operation
{
    public string? Target { get; init; }

    /// <summary>
    /// The file's chunks, in order, when few enough to be inline. Kept as an array of their number: a list read from a
    /// log has room for four chunks, and most files have one (the state of a 20,000-file vault held 2.6 MB of room).
    /// </summary>
    public IReadOnlyList<ChunkRef>? Chunks
    {
        get;
        init => field = value is List<ChunkRef> list ? list.ToArray() : value;
    }

    [JsonConverter(typeof(ChunkIdBase64Converter))]
    public ChunkId? List { get; init; }
    public int? Count { get; init; }

    /// <summary>The media type sniffed from the file's first bytes (files only; absent in older entries); a known type's one string (<see cref="Files.MediaType.Shared"/>).</summary>
    public string? Mime
    {
        get;
        init => field = Files.MediaType.Shared(value);
    }

    /// <summary>
    /// The version this put replaces, as the writing device saw it (files and symlinks over an existing one). A put
    /// whose base is not the current version was concurrent with another device's: it becomes a conflict copy.
    /// </summary>
    public string? Base { get; init; }
}

public sealed record TrashOp(string Path) : Operation
{
    /// <summary>The file version the deleting device saw; if another device has since stored a newer one, the delete yields to the edit.</summary>
    public string? Base { get; init; }
}

public sealed record RestoreOp(string Item, string Path) : Operation;

public sealed record PurgeOp(string Item) : Operation;

/// <summary>Renames or moves a path and everything below it.</summary>
public sealed record MoveOp(string From, string To) : Operation;

public sealed record DeviceOp(string Device) : Operation;

/// <summary>The vault's key was rotated: this entry and what follows are sealed under key epoch <see cref="Epoch"/>. A record only; the fold does not change.</summary>
public sealed record KeyOp(int Epoch) : Operation;

public sealed record CheckpointOp(IReadOnlyDictionary<string, long> Heads, string State) : Operation;

/// <summary>Drops old versions of files (never a file's current version): what <c>forget</c> writes.</summary>
public sealed record ForgetOp(IReadOnlyList<string> Versions) : Operation;

/// <summary>Adds and removes tags on a path; tags follow the path through moves and the trash.</summary>
public sealed record TagOp(string Path, IReadOnlyList<string>? Add, IReadOnlyList<string>? Remove) : Operation;

/// <summary>Replaces the vault's retention policy.</summary>
public sealed record PolicyOp(RetentionPolicy Policy) : Operation;

/// <summary>
/// Write-once protection: until <see cref="Until"/> (Unix milliseconds) nothing at or below <see cref="Prefix"/>
/// can be purged, forgotten, moved away, trashed or overwritten. Locks only ever grow: there is no operation that
/// shortens or lifts one.
/// </summary>
public sealed record LockOp(string Prefix, long Until) : Operation;

/// <summary>The plaintext of a log entry's payload.</summary>
public sealed record Payload(IReadOnlyList<Operation> Ops)
{
    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this, ManifestJson.Default.Payload);

    public static Payload Decode(ReadOnlySpan<byte> utf8) =>
        JsonSerializer.Deserialize(utf8, ManifestJson.Default.Payload) ?? throw new JsonException("empty payload");
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(Payload))]
[JsonSerializable(typeof(RetentionPolicy))]
internal sealed partial class ManifestJson : JsonSerializerContext;

/// <summary>
/// A chunk ID as base64 text of its 32 bytes; anything else is a malformed payload. Written as a string was before
/// (System.Text.Json's default encoder writes '+' as \u002B), and read unescaped, so every payload ever written reads.
/// </summary>
internal sealed class ChunkIdBase64Converter : JsonConverter<ChunkId>
{
    private const int Base64Length = 44;

    /// <summary>The longest text that can stand for 44 characters: each one escaped as \uXXXX.</summary>
    private const int MaxRawLength = 6 * Base64Length;

    public override ChunkId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var rawLength = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        if (reader.TokenType != JsonTokenType.String || rawLength > MaxRawLength)
        {
            throw Malformed();
        }
        Span<byte> text = stackalloc byte[MaxRawLength];
        var length = reader.CopyString(text);
        Span<byte> bytes = stackalloc byte[ChunkId.Size + 3];
        if (length != Base64Length
            || Base64.DecodeFromUtf8(text[..length], bytes, out var consumed, out var written) != OperationStatus.Done
            || consumed != length || written != ChunkId.Size)
        {
            throw Malformed();
        }
        return ChunkId.Read(bytes);
    }

    public override void Write(Utf8JsonWriter writer, ChunkId value, JsonSerializerOptions options)
    {
        Span<byte> bytes = stackalloc byte[ChunkId.Size];
        value.Write(bytes);
        Span<char> text = stackalloc char[Base64Length];
        Convert.TryToBase64Chars(bytes, text, out _);
        writer.WriteStringValue(text);
    }

    private static JsonException Malformed() => new("a chunk ID is not base64 of 32 bytes");
}
