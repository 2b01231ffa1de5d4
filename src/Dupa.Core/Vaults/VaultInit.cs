using System.Security.Cryptography;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Index;
using Dupa.Core.Manifest;

namespace Dupa.Core.Vaults;

/// <summary>What <c>init</c> hands back: the recovery key, shown once and never stored.</summary>
public sealed record VaultInitResult(string Directory, string VaultId, string RecoveryKey, DeviceId Device);

/// <summary>Creates a vault (docs/format.md): keys, device, the first log entry, the index, and the header last.</summary>
public static class VaultInit
{
    public static VaultInitResult Create(string directory, string passphrase, VaultCreateOptions? options = null, TimeProvider? time = null)
    {
        options ??= new VaultCreateOptions();
        time ??= TimeProvider.System;
        directory = Path.GetFullPath(directory);
        if (File.Exists(Path.Combine(directory, VaultHeader.FileName)))
        {
            throw new DupaException(ErrorCode.AlreadyExists, $"'{directory}' already holds a vault");
        }
        if (Directory.Exists(directory) && Directory.EnumerateFileSystemEntries(directory).Any())
        {
            throw new DupaException(ErrorCode.AlreadyExists, $"'{directory}' is not empty; a vault needs an empty or new directory");
        }
        if (passphrase.Length == 0)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the passphrase is empty");
        }
        var vaultId = RandomNumberGenerator.GetBytes(16);
        var root = KeyRing.NewMasterKey();
        var epochZero = KeyRing.NewMasterKey();
        var recoveryKey = RandomNumberGenerator.GetBytes(32);
        var salt = RandomNumberGenerator.GetBytes(16);
        try
        {
            var passphraseKek = KeyWrap.PassphraseKek(passphrase, salt, options.Kdf);
            var passphraseSlot = KeyWrap.Wrap(passphraseKek, root, "passphrase", vaultId);
            var recoveryKek = KeyWrap.RecoveryKek(recoveryKey, vaultId);
            var recoverySlot = KeyWrap.Wrap(recoveryKek, root, "recovery", vaultId);
            CryptographicOperations.ZeroMemory(passphraseKek);
            CryptographicOperations.ZeroMemory(recoveryKek);

            using var keys = new KeyRing([epochZero.ToArray()], root, vaultId);
            using var device = DeviceKey.Create();
            Directory.CreateDirectory(Path.Combine(directory, "devices"));
            Directory.CreateDirectory(Path.Combine(directory, "logs"));
            Directory.CreateDirectory(Path.Combine(directory, "packs"));
            DurableFile.WriteAtomically(Path.Combine(directory, "devices", device.Id.Hex + ".pub"), device.PublicKey);
            DurableFile.WriteAtomically(Path.Combine(directory, Vault.DeviceKeyFileName), Vault.SealDeviceKey(device, keys));

            var clock = Hlc.Next(default, time.GetUtcNow());
            var first = LogEntry.Create(vaultId, device, 1, new byte[32], clock, new Payload([new DeviceOp(device.Id.Hex)]).Encode(), keys);
            var logLength = LogFile.Append(Path.Combine(directory, LogFile.RelativePath(device.Id)), 0, [first]);
            using (var index = VaultIndex.Open(directory, readOnly: false))
            {
                index.SetLogHead(device.Id, new LogHead(1, first.Hash, logLength));
            }

            var header = new VaultHeader
            {
                VaultId = Convert.ToHexStringLower(vaultId),
                CreatedAt = time.GetUtcNow(),
                Kdf = new KdfSettings("argon2id", options.Kdf.Iterations, options.Kdf.MemoryKiB, Convert.ToBase64String(salt)),
                Chunker = ChunkerSettings.From(options.Chunker),
                PackSize = options.PackSize,
                GenesisDevice = device.Id.Hex,
                Slots = new KeySlots(Convert.ToBase64String(passphraseSlot), Convert.ToBase64String(recoverySlot)),
                Epochs = [VaultKeys.FirstEpoch(root, epochZero, vaultId)],
            };
            // The header goes last: a crash before this point leaves no vault, never half of one.
            header.Write(directory);
            return new VaultInitResult(directory, header.VaultId, PrintableKey.Format(recoveryKey), device.Id);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DurableFile.IoError($"cannot create the vault in '{directory}'", e);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(root);
            CryptographicOperations.ZeroMemory(epochZero);
            CryptographicOperations.ZeroMemory(recoveryKey);
        }
    }

    /// <summary>
    /// Makes this installation a new device of a vault whose header, device keys and logs were copied from another
    /// member (docs/protocol.md, Members): a new device key and a first entry announcing it, folded after every
    /// entry already here. The sealed device key is written last, so a crash before it leaves no half-joined
    /// device (at worst a log holding one announcement, which the next join does not reuse).
    /// </summary>
    public static DeviceId Join(string directory, VaultSecret secret, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        directory = Path.GetFullPath(directory);
        if (File.Exists(Path.Combine(directory, Vault.DeviceKeyFileName)))
        {
            throw new DupaException(ErrorCode.AlreadyExists, $"'{directory}' already has a device of this installation");
        }
        using var vault = Vault.Open(directory, secret, new VaultOpenOptions { Writable = true, Time = time });
        if (vault.Keys.Epoch < vault.Header.Epoch)
        {
            throw new DupaException(ErrorCode.KeyRotated, "the vault's key was rotated since this key was given: ask for the vault to be shared again");
        }
        using var device = DeviceKey.Create();
        try
        {
            DurableFile.WriteAtomically(Path.Combine(directory, "devices", device.Id.Hex + ".pub"), device.PublicKey);
            var clock = Hlc.Next(vault.State.LastClock, time.GetUtcNow());
            var first = LogEntry.Create(vault.Header.VaultIdBytes, device, 1, new byte[32], clock, new Payload([new DeviceOp(device.Id.Hex)]).Encode(), vault.Keys);
            var logLength = LogFile.Append(Path.Combine(directory, LogFile.RelativePath(device.Id)), 0, [first]);
            vault.Index.SetLogHead(device.Id, new LogHead(1, first.Hash, logLength));
            DurableFile.WriteAtomically(Path.Combine(directory, Vault.DeviceKeyFileName), Vault.SealDeviceKey(device, vault.Keys));
            return device.Id;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw DurableFile.IoError($"cannot join the vault in '{directory}'", e);
        }
    }
}
