using Dupa.Core.Crypto;
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

        session.ReleaseMemory();
        Assert.Empty(await session.WithVaultAsync(v => v.State.Subtree("/").Where(n => n.Path != "/").ToList(), CancellationToken.None));

        // Locked meanwhile: VaultSessions.ReleaseMemory catches this and goes on to the next vault.
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(session.ReleaseMemory);
    }
}
