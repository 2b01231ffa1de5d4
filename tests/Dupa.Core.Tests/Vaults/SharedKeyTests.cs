using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;

namespace Dupa.Core.Tests.Vaults;

public sealed class SharedKeyTests
{
    [Fact]
    public void WrapKeyTo_OpensTheVaultWithTheRecipientsKey_AndNoOtherKeyOrSlot()
    {
        using var vault = new TestVault();
        using var recipient = AgreementKey.Create();
        using var stranger = AgreementKey.Create();
        byte[] wrapped;
        using (var opened = vault.Open())
        {
            wrapped = opened.WrapKeyTo(recipient.PublicKey, "user/alice");
        }

        using (var shared = Vault.Open(vault.Directory, VaultSecret.Wrapped(recipient, wrapped, "user/alice")))
        {
            Assert.Equal(vault.Init.VaultId, shared.Header.VaultId);
        }
        Assert.Equal(ErrorCode.WrongPassphrase, Assert.Throws<DupaException>(() => Vault.Open(vault.Directory, VaultSecret.Wrapped(stranger, wrapped, "user/alice"))).Code);
        Assert.Equal(ErrorCode.WrongPassphrase, Assert.Throws<DupaException>(() => Vault.Open(vault.Directory, VaultSecret.Wrapped(recipient, wrapped, "user/bob"))).Code);
    }

    [Fact]
    public void Notes_RoundTrip_AndAnotherVaultCannotOpenThem()
    {
        using var vault = new TestVault();
        using var other = new TestVault();
        using var opened = vault.Open();
        using var otherOpened = other.Open();
        var note = opened.SealNote("/Photos/2024/beach.jpg");

        Assert.Equal("/Photos/2024/beach.jpg", opened.OpenNote(note));
        Assert.DoesNotContain("beach"u8.ToArray(), Enumerable.Range(0, note.Length - 4).Select(i => note.AsSpan(i, 5).ToArray()), new BytesEqual());
        Assert.Null(otherOpened.OpenNote(note));
        note[^1] ^= 1;
        Assert.Null(opened.OpenNote(note));
    }

    private sealed class BytesEqual : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(byte[] obj) => obj.Length;
    }
}
