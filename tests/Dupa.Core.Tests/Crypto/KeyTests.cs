using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Tests.Support;
using Dupa.Core.Vaults;

namespace Dupa.Core.Tests.Crypto;

public sealed class KeyTests
{
    [Fact]
    public void PrintableKey_FormatThenParse_RoundTripsAndCatchesTypos()
    {
        var key = Enumerable.Range(0, 32).Select(i => (byte)i).ToArray();
        var text = PrintableKey.Format(key);

        Assert.Equal(63, text.Length);
        Assert.True(PrintableKey.TryParse(text.ToLowerInvariant().Replace("-", " ", StringComparison.Ordinal), out var parsed));
        Assert.Equal(key, parsed);
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '-')
            {
                continue;
            }
            var typo = text.ToCharArray();
            typo[i] = typo[i] == 'A' ? 'B' : 'A';
            Assert.False(PrintableKey.TryParse(new string(typo), out _), $"a typo at {i} was not caught");
        }
    }

    [Fact]
    public void ChangePassphrase_OldStopsWorkingNewWorks_DataUntouched()
    {
        using var vault = new TestVault();
        vault.Put(vault.WriteSource("a.txt", "data"u8.ToArray()));
        var packsBefore = Directory.GetFiles(Path.Combine(vault.Directory, "packs"), "*.pack", SearchOption.AllDirectories);
        using (var opened = vault.Open(writable: true))
        {
            opened.ChangePassphrase("new passphrase");
        }

        Assert.Equal(ErrorCode.WrongPassphrase, Assert.Throws<DupaException>(() => vault.Open()).Code);
        using var reopened = Vault.Open(vault.Directory, VaultSecret.Passphrase("new passphrase"));
        Assert.NotNull(reopened.State.Get("/a.txt"));
        Assert.Equal(packsBefore, Directory.GetFiles(Path.Combine(vault.Directory, "packs"), "*.pack", SearchOption.AllDirectories));
    }

    [Fact]
    public void RecoveryKey_OpensTheVaultAndSetsANewPassphrase()
    {
        using var vault = new TestVault();
        using (var opened = Vault.Open(vault.Directory, VaultSecret.RecoveryKey(vault.Init.RecoveryKey), new VaultOpenOptions { Writable = true }))
        {
            opened.ChangePassphrase("after recovery");
        }
        using var reopened = Vault.Open(vault.Directory, VaultSecret.Passphrase("after recovery"));
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<DupaException>(() => VaultSecret.RecoveryKey("AAAA-BBBB")).Code);
        var other = PrintableKey.Format(new byte[32]);
        Assert.Equal(ErrorCode.WrongPassphrase, Assert.Throws<DupaException>(() => Vault.Open(vault.Directory, VaultSecret.RecoveryKey(other))).Code);
    }
}
