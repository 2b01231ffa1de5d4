using Dupa.Core.Errors;
using Dupa.Core.Native;

namespace Dupa.Core.Crypto;

/// <summary>Argon2id cost: passes over memory, and memory in KiB. Parallelism is 1 (libsodium's crypto_pwhash).</summary>
public readonly record struct Argon2Parameters
{
    public Argon2Parameters(int iterations, int memoryKiB)
    {
        if (iterations < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(iterations), iterations, "Argon2id needs at least 1 iteration.");
        }
        if (memoryKiB < 8)
        {
            throw new ArgumentOutOfRangeException(nameof(memoryKiB), memoryKiB, "Argon2id needs at least 8 KiB of memory.");
        }
        Iterations = iterations;
        MemoryKiB = memoryKiB;
    }

    public int Iterations { get; }

    public int MemoryKiB { get; }
}

/// <summary>Argon2id (RFC 9106) through libsodium's crypto_pwhash, version 1.3, parallelism 1.</summary>
public static class Argon2id
{
    public static unsafe void DeriveKey(ReadOnlySpan<byte> password, ReadOnlySpan<byte> salt, Argon2Parameters parameters, Span<byte> output)
    {
        if (salt.Length != Sodium.SaltBytes)
        {
            throw new ArgumentException("The Argon2id salt is 16 bytes.", nameof(salt));
        }
        if (output.Length is < 16 or > 64)
        {
            throw new ArgumentException("Argon2id output is 16 to 64 bytes here.", nameof(output));
        }
        Sodium.EnsureInitialized();
        int result;
        // libsodium does not accept a null pointer for an empty password, so point at a byte that is never read.
        byte empty = 0;
        fixed (byte* passwordPointer = password)
        fixed (byte* saltPointer = salt)
        fixed (byte* outputPointer = output)
        {
            result = Sodium.CryptoPwhash(outputPointer, (ulong)output.Length, password.IsEmpty ? &empty : passwordPointer, (ulong)password.Length,
                saltPointer, (ulong)parameters.Iterations, (nuint)parameters.MemoryKiB * 1024, Sodium.AlgArgon2id13);
        }
        if (result != 0)
        {
            throw new DupaException(ErrorCode.Unknown, $"Argon2id failed (out of memory for {parameters.MemoryKiB / 1024} MiB?)");
        }
    }
}
