namespace Dupa.Core.Crypto;

/// <summary>SHA-256 of a device's public key. Shown to people in printable form, used as hex in file names.</summary>
public readonly record struct DeviceId
{
    public const int Size = 32;

    private readonly byte[] _bytes;

    public DeviceId(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size)
        {
            throw new ArgumentException("A device ID is 32 bytes.", nameof(bytes));
        }
        _bytes = bytes.ToArray();
    }

    public ReadOnlySpan<byte> Bytes => _bytes;

    public string Hex => Convert.ToHexStringLower(_bytes);

    public static DeviceId FromHex(string hex) => new(Convert.FromHexString(hex));

    public bool Equals(DeviceId other) => Bytes.SequenceEqual(other.Bytes);

    public override int GetHashCode() => BitConverter.ToInt32(_bytes, 0);

    public int CompareTo(DeviceId other) => Bytes.SequenceCompareTo(other.Bytes);

    public override string ToString() => PrintableKey.Format(_bytes);
}
