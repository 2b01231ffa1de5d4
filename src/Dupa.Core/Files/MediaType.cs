using System.Text;

namespace Dupa.Core.Files;

/// <summary>
/// The media type of a file from its first bytes (its magic number), the way file(1) and browsers sniff: what
/// <c>find --type image</c> matches, whatever the file is named. Unknown binary data is application/octet-stream;
/// valid UTF-8 without NULs is text/plain.
/// </summary>
public static class MediaType
{
    public const string Binary = "application/octet-stream";
    public const string Text = "text/plain";
    public const string Empty = "inode/x-empty";

    /// <summary>How many leading bytes <see cref="Sniff"/> looks at.</summary>
    public const int SniffLength = 512;

    private static readonly (int Offset, byte[] Magic, string Type)[] Signatures =
    [
        (0, [0xFF, 0xD8, 0xFF], "image/jpeg"),
        (0, [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], "image/png"),
        (0, "GIF87a"u8.ToArray(), "image/gif"),
        (0, "GIF89a"u8.ToArray(), "image/gif"),
        (8, "WEBP"u8.ToArray(), "image/webp"),
        (0, "BM"u8.ToArray(), "image/bmp"),
        (0, [0x49, 0x49, 0x2A, 0x00], "image/tiff"),
        (0, [0x4D, 0x4D, 0x00, 0x2A], "image/tiff"),
        (4, "ftypheic"u8.ToArray(), "image/heic"),
        (4, "ftypavif"u8.ToArray(), "image/avif"),
        (4, "ftypqt"u8.ToArray(), "video/quicktime"),
        (4, "ftyp"u8.ToArray(), "video/mp4"),
        (0, [0x1A, 0x45, 0xDF, 0xA3], "video/webm"),
        (8, "AVI "u8.ToArray(), "video/x-msvideo"),
        (8, "WAVE"u8.ToArray(), "audio/wav"),
        (0, "ID3"u8.ToArray(), "audio/mpeg"),
        (0, [0xFF, 0xFB], "audio/mpeg"),
        (0, "OggS"u8.ToArray(), "audio/ogg"),
        (0, "fLaC"u8.ToArray(), "audio/flac"),
        (0, "%PDF-"u8.ToArray(), "application/pdf"),
        (0, [(byte)'P', (byte)'K', 3, 4], "application/zip"),
        (0, [0x1F, 0x8B], "application/gzip"),
        (0, [0x28, 0xB5, 0x2F, 0xFD], "application/zstd"),
        (0, [(byte)'7', (byte)'z', 0xBC, 0xAF, 0x27, 0x1C], "application/x-7z-compressed"),
        (0, [0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0], "application/x-xz"),
        (0, "BZh"u8.ToArray(), "application/x-bzip2"),
        (257, "ustar"u8.ToArray(), "application/x-tar"),
        (0, [0x7F, (byte)'E', (byte)'L', (byte)'F'], "application/x-executable"),
        (0, "SQLite format 3\0"u8.ToArray(), "application/vnd.sqlite3"),
    ];

    /// <summary>Every type <see cref="Sniff"/> returns, each one string.</summary>
    private static readonly HashSet<string> Known = [Binary, Text, Empty, .. Signatures.Select(s => s.Type)];

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The one string of a known type equal to <paramref name="mime"/> (else <paramref name="mime"/>): each put read from a
    /// log would otherwise hold its own copy of its type's name, 40 to 70 bytes a file (<see cref="Manifest.PutOp.Mime"/>).
    /// </summary>
    public static string? Shared(string? mime) => mime is not null && Known.TryGetValue(mime, out var known) ? known : mime;

    public static string Sniff(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
        {
            return Empty;
        }
        foreach (var (offset, magic, type) in Signatures)
        {
            if (head.Length >= offset + magic.Length && head.Slice(offset, magic.Length).SequenceEqual(magic))
            {
                return type;
            }
        }
        var sample = head[..Math.Min(head.Length, SniffLength)];
        if (sample.Contains((byte)0) || !IsUtf8(sample))
        {
            return Binary;
        }
        var text = Encoding.UTF8.GetString(sample).TrimStart('\uFEFF', ' ', '\t', '\r', '\n');
        if (text.StartsWith("<svg", StringComparison.OrdinalIgnoreCase) || (text.StartsWith("<?xml", StringComparison.Ordinal) && text.Contains("<svg", StringComparison.Ordinal)))
        {
            return "image/svg+xml";
        }
        if (text.StartsWith("<!doctype html", StringComparison.OrdinalIgnoreCase) || text.StartsWith("<html", StringComparison.OrdinalIgnoreCase))
        {
            return "text/html";
        }
        return text.StartsWith("<?xml", StringComparison.Ordinal) ? "application/xml" : Text;
    }

    /// <summary>Valid UTF-8, allowing a multi-byte character cut off at the end of the sample.</summary>
    private static bool IsUtf8(ReadOnlySpan<byte> sample)
    {
        for (var cut = 0; cut < 4 && cut < sample.Length; cut++)
        {
            try
            {
                StrictUtf8.GetCharCount(sample[..^cut]);
                return true;
            }
            catch (DecoderFallbackException)
            {
                if (sample.Length < SniffLength)
                {
                    return false;
                }
            }
        }
        return false;
    }
}
