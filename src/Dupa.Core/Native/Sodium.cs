using System.Runtime.InteropServices;
using Dupa.Core.Errors;

namespace Dupa.Core.Native;

/// <summary>
/// libsodium from Debian's libsodium23, for Argon2id only (no Argon2 package is served by the NuGet registry
/// here; docs/native.md).
/// </summary>
internal static partial class Sodium
{
    private const string Library = "libsodium.so.23";

    /// <summary>crypto_pwhash_ALG_ARGON2ID13: Argon2id, version 1.3 (0x13).</summary>
    public const int AlgArgon2id13 = 2;

    /// <summary>crypto_pwhash_argon2id_OPSLIMIT_MIN.</summary>
    public const ulong OpsLimitMin = 1;

    /// <summary>crypto_pwhash_argon2id_MEMLIMIT_MIN, in bytes (8 KiB: the 8 blocks of one lane).</summary>
    public const ulong MemLimitMin = 8192;

    /// <summary>crypto_pwhash_argon2id_SALTBYTES.</summary>
    public const int SaltBytes = 16;

    /// <summary>crypto_pwhash_argon2id_BYTES_MIN.</summary>
    public const int BytesMin = 16;

    private static readonly Lazy<bool> Initialized = new(() =>
    {
        if (!NativeLibrary.TryLoad(Library, typeof(Sodium).Assembly, null, out _))
        {
            throw new DupaException(ErrorCode.MissingLibrary, "libsodium is missing: install Debian's libsodium23 (apt-get install libsodium23)");
        }
        // 0: initialized now; 1: already initialized; -1: failure.
        return SodiumInit() >= 0;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    [LibraryImport(Library, EntryPoint = "sodium_init")]
    private static partial int SodiumInit();

    /// <summary>crypto_pwhash: 0 on success, -1 when the limits are out of range or the memory cannot be allocated.</summary>
    [LibraryImport(Library, EntryPoint = "crypto_pwhash")]
    internal static unsafe partial int CryptoPwhash(byte* output, ulong outputLength, byte* password, ulong passwordLength, byte* salt, ulong opsLimit, nuint memLimit, int algorithm);

    /// <summary>Loads the library and runs sodium_init once per process; safe to call from any thread.</summary>
    public static void EnsureInitialized()
    {
        if (!Initialized.Value)
        {
            throw new DupaException(ErrorCode.MissingLibrary, "libsodium failed to initialize (sodium_init returned -1)");
        }
    }
}
