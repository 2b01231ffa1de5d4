using Dupa.Core.Crypto;

namespace Dupa.Core.Tests.Crypto;

public sealed class PublicKeyWrapTests
{
    private static readonly byte[] Key = Enumerable.Repeat((byte)0x11, 32).ToArray();
    private static readonly byte[] Context = Enumerable.Repeat((byte)0x22, 16).ToArray();

    /// <summary>docs/format.md (Wrapping to a public key): made with Python's cryptography package, not with this code.</summary>
    [Fact]
    public void Vector_FromAnIndependentImplementation_Unwraps()
    {
        using var recipient = AgreementKey.FromPrivateKey(Convert.FromHexString("308187020100301306072a8648ce3d020106082a8648ce3d030107046d306b02010104204444444444444444444444444444444444444444444444444444444444444444a144034200045b36890dacbd7c9a96bb74a1ee28b3d2d75b72e09a20ef25cf8e6fd8a9f0350d0e14bed8d4682a34d83538bdff5b96e89a6666ec0db5745d02fa1210072df75a"));
        var wrapped = Convert.FromHexString("0457e977f6db7e33c3fe7acf2842ed987009caf56d458682fca447b7d3d762ab34c5ab3770ba573bdff5414065640ffb5b346dfa84dec4db4d68e5f59cc471c2ec666666666666666666666666c8f8e167821a728f5420587bbc45d7aff79c2e1866852dfc7a167a320a9a154d94ea5b6f331766997c8c1b2d60e437a5");

        Assert.Equal(Key, PublicKeyWrap.TryUnwrap(recipient, wrapped, "member", Context));
        Assert.Equal("3059301306072a8648ce3d020106082a8648ce3d030107034200045b36890dacbd7c9a96bb74a1ee28b3d2d75b72e09a20ef25cf8e6fd8a9f0350d0e14bed8d4682a34d83538bdff5b96e89a6666ec0db5745d02fa1210072df75a", Convert.ToHexStringLower(recipient.PublicKey));
    }

    [Fact]
    public void Wrap_ThenUnwrap_GivesTheKey_AndEachWrapIsFresh()
    {
        using var recipient = AgreementKey.Create();
        var first = PublicKeyWrap.Wrap(recipient.PublicKey, Key, "member", Context);
        var second = PublicKeyWrap.Wrap(recipient.PublicKey, Key, "member", Context);

        Assert.Equal(PublicKeyWrap.WrappedSize, first.Length);
        Assert.NotEqual(first, second);
        Assert.Equal(Key, PublicKeyWrap.TryUnwrap(recipient, first, "member", Context));
        Assert.Equal(Key, PublicKeyWrap.TryUnwrap(recipient, second, "member", Context));
    }

    [Fact]
    public void Unwrap_WithAnotherKey_SlotOrContext_OrAlteredBytes_GivesNull()
    {
        using var recipient = AgreementKey.Create();
        using var other = AgreementKey.Create();
        var wrapped = PublicKeyWrap.Wrap(recipient.PublicKey, Key, "member", Context);

        Assert.Null(PublicKeyWrap.TryUnwrap(other, wrapped, "member", Context));
        Assert.Null(PublicKeyWrap.TryUnwrap(recipient, wrapped, "user", Context));
        Assert.Null(PublicKeyWrap.TryUnwrap(recipient, wrapped, "member", new byte[16]));
        using var publicOnly = AgreementKey.FromPublicKey(recipient.PublicKey);
        Assert.Null(PublicKeyWrap.TryUnwrap(publicOnly, wrapped, "member", Context));
        for (var i = 0; i < wrapped.Length; i += 7)
        {
            var altered = (byte[])wrapped.Clone();
            altered[i] ^= 0x01;
            Assert.Null(PublicKeyWrap.TryUnwrap(recipient, altered, "member", Context));
        }
        Assert.Null(PublicKeyWrap.TryUnwrap(recipient, wrapped.AsSpan(0, wrapped.Length - 1), "member", Context));
    }

    [Fact]
    public void PublicKey_NotP256_IsRefused()
    {
        using var p384 = System.Security.Cryptography.ECDiffieHellman.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP384);
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => AgreementKey.FromPublicKey(p384.ExportSubjectPublicKeyInfo()));
        Assert.ThrowsAny<System.Security.Cryptography.CryptographicException>(() => PublicKeyWrap.Wrap(new byte[91], Key, "member", Context));
    }
}
