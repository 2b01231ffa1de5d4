using Dupa.Core.Errors;
using Dupa.Core.Native;

namespace Dupa.Core.Crypto;

/// <summary>
/// Argon2id cost: passes over memory, and memory in KiB. Parallelism is always 1 (libsodium's crypto_pwhash
/// fixes it). The constructor rejects values libsodium would refuse.
/// </summary>
public readonly record struct Argon2Parameters
{
    public Argon2Parameters(int iterations, int memoryKiB)
    {
        if (iterations < (int)Sodium.OpsLimitMin)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "Argon2id needs at least 1 iteration.");
        }
        if (memoryKiB < (int)(Sodium.MemLimitMin / 1024))
        {
            throw new ArgumentOutOfRangeException(nameof(memoryKiB), memoryKiB, "Argon2id needs at least 8 KiB of memory.");
        }
        Iterations = iterations;
        MemoryKiB = memoryKiB;
    }

    /// <summary>Passes over memory (Argon2's t).</summary>
    public int Iterations { get; }

    /// <summary>Memory in KiB (Argon2's m); libsodium takes it in bytes.</summary>
    public int MemoryKiB { get; }
}

/// <summary>Argon2id (RFC 9106) through libsodium's crypto_pwhash: version 1.3, parallelism 1, no secret or associated data.</summary>
public static class Argon2id
{
    /// <summary>
    /// Derives <paramref name="output"/> (16 to 64 bytes) from a password and a 16-byte salt. Wrong lengths or a
    /// default <see cref="Argon2Parameters"/> are caller bugs (<see cref="ArgumentException"/>); a failure to
    /// allocate the memory is a <see cref="DupaException"/>.
    /// </summary>
    public static unsafe void DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2Parameters parameters, Span<byte> output)
    {
        if (salt.Length != Sodium.SaltBytes)
        {
            throw new ArgumentException("The Argon2id salt is 16 bytes.", nameof(salt));
        }
        if (output.Length is < Sodium.BytesMin or > 64)
        {
            throw new ArgumentException("Argon2id output is 16 to 64 bytes here.", nameof(output));
        }
        // default(Argon2Parameters) skips the constructor; libsodium would fail it with the same -1 as out of memory.
        if (parameters.Iterations < 1 || parameters.MemoryKiB < 8)
        {
            throw new ArgumentException("Argon2id parameters are unset (default(Argon2Parameters)).", nameof(parameters));
        }
        Sodium.EnsureInitialized();
        int result;
        // An empty span pins to a null pointer; hand libsodium a valid address (never read) rather than rely on its null check.
        byte empty = 0;
        fixed (byte* passwordPointer = password)
        fixed (byte* saltPointer = salt)
        fixed (byte* outputPointer = output)
        {
            result = Sodium.CryptoPwhash(outputPointer, (ulong)output.Length, password.IsEmpty ? &empty : passwordPointer, (ulong)password.Length,
                saltPointer, (ulong)parameters.Iterations, checked((nuint)parameters.MemoryKiB * 1024), Sodium.AlgArgon2id13);
        }
        if (result != 0)
        {
            // The arguments were checked above, so what is left is the allocation.
            throw new DupaException(ErrorCode.Unknown, $"Argon2id failed: libsodium could not allocate {parameters.MemoryKiB} KiB");
        }
    }
}
