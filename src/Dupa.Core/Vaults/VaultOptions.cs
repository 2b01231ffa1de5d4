using Dupa.Core.Chunking;
using Dupa.Core.Crypto;

namespace Dupa.Core.Vaults;

/// <summary>Choices fixed when a vault is created.</summary>
public sealed record VaultCreateOptions
{
    /// <summary>
    /// Argon2id cost: 3 passes over 64 MiB, RFC 9106's recommended option where memory is scarce, and Bitwarden's
    /// default against the same threat (an offline guess at a stolen vault's passphrase). About 0.07 s on the
    /// 2-core reference machine (docs/native.md), paid by every command, and 64 MiB, which a Raspberry Pi spares
    /// and which keeps a put's peak memory that of its pipeline. Vaults made with more keep it.
    /// </summary>
    public Argon2Parameters Kdf { get; init; } = new(3, 64 * 1024);

    public ChunkerParameters Chunker { get; init; } = ChunkerParameters.Default;

    /// <summary>Packs of 32 MiB: one fsync per pack instead of one per chunk or per small file.</summary>
    public int PackSize { get; init; } = 32 * 1024 * 1024;
}

/// <summary>How a vault is opened.</summary>
public sealed record VaultOpenOptions
{
    /// <summary>Take the write lock. Readers never lock and may run alongside the one writer.</summary>
    public bool Writable { get; init; }

    /// <summary>Open even with damaged logs (for verify and repair); the damage is listed in <see cref="Vault.LogDamage"/>.</summary>
    public bool TolerateDamage { get; init; }

    /// <summary>Start from an empty index (for <c>dupa index rebuild</c>); needs <see cref="Writable"/>.</summary>
    public bool DiscardIndex { get; init; }

    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>A checkpoint entry is written after this many entries (docs/format.md).</summary>
    public int CheckpointInterval { get; init; } = 1000;
}
