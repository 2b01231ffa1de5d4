namespace Dupa.Core.Tests.Support;

/// <summary>Damage done to stored files, as a failing disk or a hostile hand would.</summary>
internal static class FileDamage
{
    /// <summary>Flips the lowest bit of the byte at <paramref name="offset"/>.</summary>
    public static void Flip(string file, long offset)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.ReadWrite);
        stream.Position = offset;
        var b = stream.ReadByte();
        stream.Position = offset;
        stream.WriteByte((byte)(b ^ 0x01));
    }
}
