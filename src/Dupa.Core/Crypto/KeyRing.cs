using System.Security.Cryptography;
using System.Text;

namespace Dupa.Core.Crypto;

/// <summary>
/// The master key of an unlocked vault and the subkeys derived from it (docs/format.md, Keys). The keys live
/// only in memory and are zeroed on dispose.
/// </summary>
public sealed class KeyRing : IDisposable
{
    public const int KeySize = 32;

    private readonly byte[] _master;

    public KeyRing(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> vaultId)
    {
        if (masterKey.Length != KeySize)
        {
            throw new ArgumentException("The master key is 32 bytes.", nameof(masterKey));
        }
        _master = masterKey.ToArray();
        ChunkId = Derive(vaultId, "chunk-id");
        ChunkSeal = Derive(vaultId, "chunk-seal");
        LogSeal = Derive(vaultId, "log-seal");
        ChunkerSeed = Derive(vaultId, "chunker-seed");
        Index = Derive(vaultId, "index");
        DeviceSeal = Derive(vaultId, "device-seal");
        NodeNote = Derive(vaultId, "node-note");
    }

    public ReadOnlySpan<byte> Master => _master;
    public byte[] ChunkId { get; }
    public byte[] ChunkSeal { get; }
    public byte[] LogSeal { get; }
    public byte[] ChunkerSeed { get; }
    public byte[] Index { get; }
    public byte[] DeviceSeal { get; }

    /// <summary>AES key of the notes a node keeps about a vault outside it (<c>Vault.SealNote</c>).</summary>
    public byte[] NodeNote { get; }

    /// <summary>A fresh random master key.</summary>
    public static byte[] NewMasterKey() => RandomNumberGenerator.GetBytes(KeySize);

    /// <summary>HKDF-Expand(prk, info || suffix), 32 bytes: one key per chunk or per log entry.</summary>
    public static void ExpandPerObjectKey(ReadOnlySpan<byte> prk, string info, ReadOnlySpan<byte> suffix, Span<byte> key)
    {
        Span<byte> buffer = stackalloc byte[64 + 48];
        var infoLength = Encoding.ASCII.GetBytes(info, buffer);
        suffix.CopyTo(buffer[infoLength..]);
        HKDF.Expand(HashAlgorithmName.SHA256, prk, key, buffer[..(infoLength + suffix.Length)]);
    }

    private byte[] Derive(ReadOnlySpan<byte> vaultId, string label)
    {
        var key = new byte[KeySize];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, _master, key, vaultId, Encoding.ASCII.GetBytes("dupa/v1/" + label));
        return key;
    }

    public void Dispose()
    {
        CryptographicOperations.ZeroMemory(_master);
        CryptographicOperations.ZeroMemory(ChunkId);
        CryptographicOperations.ZeroMemory(ChunkSeal);
        CryptographicOperations.ZeroMemory(LogSeal);
        CryptographicOperations.ZeroMemory(ChunkerSeed);
        CryptographicOperations.ZeroMemory(Index);
        CryptographicOperations.ZeroMemory(DeviceSeal);
        CryptographicOperations.ZeroMemory(NodeNote);
    }
}
