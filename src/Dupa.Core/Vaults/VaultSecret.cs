using Dupa.Core.Crypto;
using Dupa.Core.Errors;

namespace Dupa.Core.Vaults;

/// <summary>
/// What unlocks a vault: its passphrase, the recovery key printed at init, or a copy of the master key wrapped to
/// someone's agreement key (a user the vault is shared with; docs/sharing.md).
/// </summary>
public abstract record VaultSecret
{
    public static VaultSecret Passphrase(string passphrase) => new PassphraseSecret(passphrase);

    public static VaultSecret RecoveryKey(string printable) =>
        PrintableKey.TryParse(printable, out var key)
            ? new RecoveryKeySecret(key)
            : throw new DupaException(ErrorCode.InvalidInput, "the recovery key is mistyped (a check character does not match)");

    /// <summary>
    /// An epoch key wrapped by <see cref="Vault.WrapKeyTo"/> to the public half of <paramref name="recipient"/>,
    /// under <paramref name="slot"/>. The caller keeps ownership of the key (and disposes it).
    /// </summary>
    public static VaultSecret Wrapped(AgreementKey recipient, byte[] wrapped, string slot) => new WrappedKeySecret(recipient, wrapped, slot);
}

public sealed record PassphraseSecret(string Value) : VaultSecret
{
    public override string ToString() => "PassphraseSecret(***)";
}

public sealed record RecoveryKeySecret(byte[] Key) : VaultSecret
{
    public override string ToString() => "RecoveryKeySecret(***)";
}

public sealed record WrappedKeySecret(AgreementKey Recipient, byte[] WrappedKey, string Slot) : VaultSecret
{
    public override string ToString() => $"WrappedKeySecret({Slot}, ***)";
}
