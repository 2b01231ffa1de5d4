using System.Text;

namespace Dupa.Core.Crypto;

/// <summary>
/// 32 bytes in a form people can read aloud and type: base32 with a Luhn mod 32 check character per 13
/// characters, shown as 8 groups of 7 (the scheme of Syncthing's device IDs; docs/format.md).
/// </summary>
public static class PrintableKey
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Format(ReadOnlySpan<byte> key32)
    {
        if (key32.Length != 32)
        {
            throw new ArgumentException("A printable key is 32 bytes.", nameof(key32));
        }
        var base32 = Base32(key32);
        var withChecks = new StringBuilder(56);
        for (var group = 0; group < 4; group++)
        {
            var chunk = base32.Substring(group * 13, 13);
            withChecks.Append(chunk).Append(LuhnCheck(chunk));
        }
        var text = withChecks.ToString();
        return string.Join('-', Enumerable.Range(0, 8).Select(i => text.Substring(i * 7, 7)));
    }

    /// <summary>Parses a printable key; returns false for a mistyped one (wrong length, letter or check).</summary>
    public static bool TryParse(string text, out byte[] key32)
    {
        key32 = [];
        var cleaned = new StringBuilder(56);
        foreach (var c in text)
        {
            if (c is '-' or ' ')
            {
                continue;
            }
            cleaned.Append(char.ToUpperInvariant(c));
        }
        if (cleaned.Length != 56)
        {
            return false;
        }
        var base32 = new StringBuilder(52);
        for (var group = 0; group < 4; group++)
        {
            var chunk = cleaned.ToString(group * 14, 13);
            if (chunk.Any(c => Alphabet.IndexOf(c, StringComparison.Ordinal) < 0) || LuhnCheck(chunk) != cleaned[(group * 14) + 13])
            {
                return false;
            }
            base32.Append(chunk);
        }
        key32 = FromBase32(base32.ToString());
        return true;
    }

    private static string Base32(ReadOnlySpan<byte> data)
    {
        var sb = new StringBuilder((data.Length * 8 + 4) / 5);
        int buffer = 0, bits = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                sb.Append(Alphabet[(buffer >> (bits - 5)) & 31]);
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            sb.Append(Alphabet[(buffer << (5 - bits)) & 31]);
        }
        return sb.ToString();
    }

    private static byte[] FromBase32(string text)
    {
        var bytes = new List<byte>(32);
        int buffer = 0, bits = 0;
        foreach (var c in text)
        {
            buffer = (buffer << 5) | Alphabet.IndexOf(c, StringComparison.Ordinal);
            bits += 5;
            if (bits >= 8)
            {
                bytes.Add((byte)(buffer >> (bits - 8)));
                bits -= 8;
            }
        }
        return [.. bytes];
    }

    /// <summary>Luhn mod N over the base32 alphabet: detects every single-character mistake.</summary>
    private static char LuhnCheck(string chunk)
    {
        const int n = 32;
        var factor = 1;
        var sum = 0;
        foreach (var c in chunk)
        {
            var codePoint = Alphabet.IndexOf(c, StringComparison.Ordinal);
            var addend = factor * codePoint;
            factor = factor == 2 ? 1 : 2;
            addend = (addend / n) + (addend % n);
            sum += addend;
        }
        var remainder = sum % n;
        return Alphabet[(n - remainder) % n];
    }
}
