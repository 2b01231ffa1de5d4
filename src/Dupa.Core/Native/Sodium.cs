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
    public const int AlgArgon2id13 = 2;
    public const int SaltBytes = 16;

    [LibraryImport(Library, EntryPoint = "sodium_init")]
    private static partial int SodiumInit();

    [LibraryImport(Library, EntryPoint = "crypto_pwhash")]
    internal static unsafe partial int CryptoPwhash(byte* output, ulong outputLength, byte* password, ulong passwordLength, byte* salt, ulong opsLimit, nuint memLimit, int algorithm);

    private static readonly Lazy<bool> Initialized = new(() =>
    {
        if (!NativeLibrary.TryLoad(Library, typeof(Sodium).Assembly, null, out _))
        {
            throw new DupaException(ErrorCode.MissingLibrary, "libsodium is missing: install Debian's libsodium23 (apt-get install libsodium23)");
        }
        // 0: initialized now; 1: already initialized; -1: failure.
        return SodiumInit() >= 0;
    }, LazyThreadSafetyMode.ExecutionAndPublication);

    public static void EnsureInitialized()
    {
        if (!Initialized.Value)
        {
            throw new DupaException(ErrorCode.MissingLibrary, "libsodium failed to initialize");
        }
    }
}
