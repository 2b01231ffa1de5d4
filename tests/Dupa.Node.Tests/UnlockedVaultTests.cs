using Dupa.Core.Crypto;
using Dupa.Core.Files;
using Dupa.Core.Vaults;
using Dupa.Node.Vaults;
using Dupa.Testing;

namespace Dupa.Node.Tests;

public sealed class UnlockedVaultTests
{
    [Fact]
    public async Task ReleaseMemory_PassesOverAVaultInUse_RunsOnAnIdleOne_AndAfterLockingSaysItIsDisposed()
    {
        using var directory = new TempDirectory("dupa-unlocked-");
        var path = directory.Combine("vault");
        VaultInit.Create(path, "correct horse", new VaultCreateOptions { Kdf = new Argon2Parameters(1, 8) }, TimeProvider.System);
        var session = new UnlockedVault(Vault.Open(path, VaultSecret.Passphrase("correct horse"), new VaultOpenOptions { Writable = true }));

        // An idle node's release does not wait for a vault at work: it passes over it (a deadlock guard, not a timing).
        var passedOver = await session.WithVaultAsync(_ => Task.Run(session.ReleaseMemory).Wait(TimeSpan.FromSeconds(30)), CancellationToken.None);
        Assert.True(passedOver);
        Assert.True(session.Vault.HoldsState);

        session.ReleaseMemory();
        Assert.False(session.Vault.HoldsState);
        Assert.Empty(await session.WithVaultAsync(v => v.State.Subtree("/").Where(n => n.Path != "/").ToList(), CancellationToken.None));

        // Locked meanwhile: VaultSessions.ReleaseMemory catches this and goes on to the next vault.
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(session.ReleaseMemory);
    }
    [Fact]
    public async Task AfterARelease_MetricsDoNotFoldTheStateAgain_UntilTheVaultHasChanged()
    {
        using var directory = new TempDirectory("dupa-unlocked-");
        var path = directory.Combine("vault");
        VaultInit.Create(path, "correct horse", new VaultCreateOptions { Kdf = new Argon2Parameters(1, 8) }, TimeProvider.System);
        using var session = new UnlockedVault(Vault.Open(path, VaultSecret.Passphrase("correct horse"), new VaultOpenOptions { Writable = true }));
        await PutAsync(session, directory.Combine("a.bin"), 1000);
        var usage = session.Usage();
        Assert.Equal(1000, usage.Logical);

        session.ReleaseMemory();
        Assert.Equal(usage, session.Usage());
        Assert.False(session.Vault.HoldsState);

        await PutAsync(session, directory.Combine("b.bin"), 500);
        Assert.Equal(1500, session.Usage().Logical);
    }

    private static async Task PutAsync(UnlockedVault session, string path, int size)
    {
        File.WriteAllBytes(path, new SeededRandom((ulong)size).NextBytes(size));
        await session.WithVaultAsync(v => new FileImporter(v).ImportAsync([path], "/"), CancellationToken.None);
    }
}
