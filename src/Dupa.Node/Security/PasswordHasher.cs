using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Dupa.Core.Crypto;

namespace Dupa.Node.Security;

/// <summary>
/// User passwords as Argon2id hashes in the PHC string format
/// (<c>$argon2id$v=19$m=65536,t=3,p=1$salt$hash</c>), compared in constant time.
/// </summary>
public sealed class PasswordHasher(Argon2Parameters parameters)
{
    private readonly Lazy<string> _dummy = new(() => new PasswordHasher(parameters).Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))));

    /// <summary>A hash of a random password, checked against for unknown users so timing does not reveal them.</summary>
    public string DummyHash => _dummy.Value;

    public string Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = new byte[32];
        Argon2id.DeriveKey(Encoding.UTF8.GetBytes(password), salt, parameters, hash);
        return $"$argon2id$v=19$m={parameters.MemoryKiB},t={parameters.Iterations},p=1${B64(salt)}${B64(hash)}";
    }

    public static bool Verify(string password, string encoded)
    {
        var parts = encoded.Split('$');
        if (parts.Length != 6 || parts[1] != "argon2id" || parts[2] != "v=19")
        {
            return false;
        }
        var settings = parts[3].Split(',').Select(p => p.Split('=')).ToDictionary(p => p[0], p => int.Parse(p[1], CultureInfo.InvariantCulture));
        var salt = FromB64(parts[4]);
        var expected = FromB64(parts[5]);
        var actual = new byte[expected.Length];
        Argon2id.DeriveKey(Encoding.UTF8.GetBytes(password), salt, new Argon2Parameters(settings["t"], settings["m"]), actual);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static string B64(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=');

    private static byte[] FromB64(string text) => Convert.FromBase64String(text.PadRight(text.Length + ((4 - (text.Length % 4)) % 4), '='));
}
