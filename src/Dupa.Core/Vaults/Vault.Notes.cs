using System.Security.Cryptography;
using System.Text;

namespace Dupa.Core.Vaults;

public sealed partial class Vault
{
    private const int NoteNonceSize = 12;
    private const int NoteTagSize = 16;

    /// <summary>
    /// Seals a short text that a node keeps about this vault outside it (a share link's path, the path in an audit
    /// entry), so that the node's own database holds no plaintext names at rest either:
    /// nonce(12) || AES-256-GCM(K_node-note, text) || tag(16) (docs/sharing.md; the subkey is in docs/format.md, Keys).
    /// </summary>
    public byte[] SealNote(string text)
    {
        var plain = Encoding.UTF8.GetBytes(text);
        var sealedNote = new byte[NoteNonceSize + plain.Length + NoteTagSize];
        var nonce = sealedNote.AsSpan(0, NoteNonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(Keys.NodeNote, NoteTagSize);
        aes.Encrypt(nonce, plain, sealedNote.AsSpan(NoteNonceSize, plain.Length), sealedNote.AsSpan(NoteNonceSize + plain.Length), Header.VaultIdBytes);
        return sealedNote;
    }

    /// <summary>The text of a note sealed by <see cref="SealNote"/> for this vault, or null if it is not one (or was altered).</summary>
    public string? OpenNote(ReadOnlySpan<byte> sealedNote)
    {
        if (sealedNote.Length < NoteNonceSize + NoteTagSize)
        {
            return null;
        }
        var length = sealedNote.Length - NoteNonceSize - NoteTagSize;
        var plain = new byte[length];
        try
        {
            using var aes = new AesGcm(Keys.NodeNote, NoteTagSize);
            aes.Decrypt(sealedNote[..NoteNonceSize], sealedNote.Slice(NoteNonceSize, length), sealedNote[(NoteNonceSize + length)..], plain, Header.VaultIdBytes);
            return Encoding.UTF8.GetString(plain);
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
