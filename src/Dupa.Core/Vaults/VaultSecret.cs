using Dupa.Core.Crypto;
using Dupa.Core.Errors;

namespace Dupa.Core.Vaults;

/// <summary>What unlocks a vault: its passphrase, the recovery key printed at init, or the master key itself (a member node unwrapped it with its own key).</summary>
public abstract record VaultSecret
{
    public static VaultSecret Passphrase(string passphrase) => new PassphraseSecret(passphrase);

    public static VaultSecret RecoveryKey(string printable) =>
        PrintableKey.TryParse(printable, out var key)
            ? new RecoveryKeySecret(key)
            : throw new DupaException(ErrorCode.InvalidInput, "the recovery key is mistyped (a check character does not match)");
}

public sealed record MasterKeySecret(byte[] Key) : VaultSecret
{
    public override string ToString() => "MasterKeySecret(***)";
}

public sealed record PassphraseSecret(string Value) : VaultSecret
{
    public override string ToString() => "PassphraseSecret(***)";
}

public sealed record RecoveryKeySecret(byte[] Key) : VaultSecret
{
    public override string ToString() => "RecoveryKeySecret(***)";
}
