using System.Text;
using Dupa.Core.Crypto;

namespace Dupa.Core.Tests.Crypto;

public sealed class Argon2idTests
{
    // Known answers from the Argon2 reference implementation's CLI (Debian package argon2, version 1.3),
    // e.g. `echo -n password | argon2 somesaltsomesalt -id -t 2 -m 16 -p 1 -l 32 -r` (-m is log2 of KiB).
    // They are also listed in docs/native.md.
    [Theory]
    [InlineData("password", "somesaltsomesalt", 2, 65536, "fc33b78139231d34b71626bd6245c1d72efa190ad605c3d8166a72adcedfa2c2")]
    [InlineData("x", "0123456789abcdef", 1, 8, "eeffb50cec169acc53995f74ab28bd0c")]
    [InlineData("correct horse battery staple ✓", "saltysaltysalty!", 3, 1024, "e91279ef6e8dbac29d2c2caa083b49b4664dec6623f3a47de23561ac4b426339b9983ce460677c53d234cf6252d2b4f9f904f9958629f0448b9fd4679ddb3694")]
    public void DeriveKey_ReferenceVectors_Match(string password, string salt, int iterations, int memoryKiB, string expectedHex)
    {
        var output = new byte[expectedHex.Length / 2];
        Argon2id.DeriveKey(Encoding.UTF8.GetBytes(password), Encoding.ASCII.GetBytes(salt), new Argon2Parameters(iterations, memoryKiB), output);
        Assert.Equal(expectedHex, Convert.ToHexStringLower(output));
    }

    [Fact]
    public void DeriveKey_EmptyPassword_IsAllowedAndDiffersFromOthers()
    {
        var empty = new byte[32];
        var other = new byte[32];
        var salt = Encoding.ASCII.GetBytes("0123456789abcdef");
        Argon2id.DeriveKey([], salt, new Argon2Parameters(1, 8), empty);
        Argon2id.DeriveKey("a"u8, salt, new Argon2Parameters(1, 8), other);
        Assert.NotEqual(empty, other);
    }

    [Fact]
    public void Parameters_OutOfRange_AreCallerBugs()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Argon2Parameters(0, 1024));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Argon2Parameters(1, 7));
        Assert.Throws<ArgumentException>(() => Argon2id.DeriveKey("p"u8, new byte[15], new Argon2Parameters(1, 8), new byte[32]));
        Assert.Throws<ArgumentException>(() => Argon2id.DeriveKey("p"u8, new byte[16], new Argon2Parameters(1, 8), new byte[8]));
    }
}
