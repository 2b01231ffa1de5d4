using System.Globalization;
using Dupa.Core.Crypto;

namespace Dupa.Core.Manifest;

/// <summary>
/// Names one operation: device, sequence of its entry, index in the entry ("hex:seq:index"). A file version
/// and a trash item are named by the operation that made them.
/// </summary>
public readonly record struct OpRef(DeviceId Device, long Sequence, int Index)
{
    public override string ToString() => $"{Device.Hex}:{Sequence}:{Index}";

    /// <summary>A short form for people: the first 8 hex digits of the device, the sequence and index.</summary>
    public string Short => $"{Device.Hex[..8]}:{Sequence}:{Index}";

    public static bool TryParse(string? text, out OpRef value)
    {
        value = default;
        var parts = text?.Split(':');
        if (parts is not { Length: 3 } || parts[0].Length != 64 || !parts[0].All(Uri.IsHexDigit)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var sequence)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var index))
        {
            return false;
        }
        value = new OpRef(DeviceId.FromHex(parts[0]), sequence, index);
        return true;
    }
}
