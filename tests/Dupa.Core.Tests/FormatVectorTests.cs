using System.Text;
using Dupa.Core.Crypto;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;

namespace Dupa.Core.Tests;

/// <summary>
/// The test vectors of docs/format.md. They were also checked with an independent implementation (Python's
/// hmac, hashlib and the cryptography package), so a change here is a change of the on-disk format.
/// </summary>
public sealed class FormatVectorTests
{
    private static readonly byte[] Master = Enumerable.Repeat((byte)0x11, 32).ToArray();
    private static readonly byte[] VaultId = Enumerable.Repeat((byte)0x22, 16).ToArray();

    [Fact]
    public void PrintableKey_BytesZeroToThirtyOne()
    {
        Assert.Equal("AAAQEAY-EAUDAOB-CAJBIFQ-YDIOB4B-IBCEQTC-QKRMFYX-YDENBWH-A5DYPQG", PrintableKey.Format(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()));
    }

    [Fact]
    public void Subkeys_FromFixedMasterAndVaultId()
    {
        using var keys = new KeyRing(Master, VaultId);
        Assert.Equal("51cc9f12530757acd9c801f5fac8a2ffc0e23072e36c13b1d7f4fc5f9df1e995", Convert.ToHexStringLower(keys.ChunkId));
        Assert.Equal("f71631f09d671483d30e924605e3ac991963463960375903855691278b04af08", Convert.ToHexStringLower(keys.ChunkSeal));
        Assert.Equal("00f2a970deef72911f276da29dc117657a39738359930bfbd4d048dcae5e47c6", Convert.ToHexStringLower(keys.LogSeal));
        Assert.Equal("c5f8a54880b5c9fe2396e1ce86c98b2724089074c830970c7f990a91f6ba75eb", Convert.ToHexStringLower(keys.ChunkerSeed));
        Assert.Equal("c6c0ebbc8486ae987ccd9bcb028866958d7f62e0e5a5d7441d5fba7884709bc9", Convert.ToHexStringLower(keys.Index));
        Assert.Equal("b1d94e1b025a80f12193e5e0b2cdc53c1b2504d9a0aea4998aa140154cbf0a3c", Convert.ToHexStringLower(keys.DeviceSeal));
        Assert.Equal("e879e007a7780061d8fbdb5b4e04255a503650891b7a206e308cbb2bc9d484e7", Convert.ToHexStringLower(keys.NodeNote));
        Assert.Equal("ad40b963ea8184aca8b5aa7880a4bbfd042281338bff6a16c80df82bbe7c4cf3", Convert.ToHexStringLower(KeyWrap.RecoveryKek(Enumerable.Repeat((byte)0x33, 32).ToArray(), VaultId)));
    }

    [Fact]
    public void ChunkId_AndSealedChunk_OfHelloWorld()
    {
        using var keys = new KeyRing(Master, VaultId);
        var codec = new ChunkCodec(keys);
        var id = codec.ComputeId("hello world"u8);
        Assert.Equal("bd44076e64276f05907f3cf672e68162698dc660758c5bfe9f77abada7958a68", id.Hex);

        var sealedBlob = Convert.FromHexString("010100000b00000078e75cad3a0d26ea077e8127598859e430e6364739c1b565fcd5494971ade33a874d33d9941d60");
        var plaintext = new byte[ChunkCodec.PlainLength(sealedBlob)];
        codec.Open(id, BlobKind.Data, sealedBlob, plaintext, "vector");
        Assert.Equal("hello world"u8.ToArray(), plaintext);
    }

    [Fact]
    public void LogEntry_GenesisEntry_ParsesVerifiesAndOpens()
    {
        using var keys = new KeyRing(Master, VaultId);
        using var device = DeviceKey.FromPublicKey(Convert.FromHexString("3059301306072a8648ce3d020106082a8648ce3d0301070342000475033a80b87b4e91c39a2a5d2895e03e88cbfeac8aa3fe4434d17928ce89963e26a2023c9fa9200213553cf67733eb97099bcdbeee16f1b078d9c229595047b5"));
        Assert.Equal("826098042eadcd890b7ca19a452f66a20c3b4036add1a613c9918d539053de92", device.Id.Hex);
        Assert.Equal("QJQJQBB-OVXGYSA-C34UGNE-KL3GUIR-GDWQBWV-XI2ME64-JSGGVHE-CT32JA7", device.Id.ToString());

        var entry = LogEntry.Parse(Convert.FromHexString("0122222222222222222222222222222222826098042eadcd890b7ca19a452f66a20c3b4036add1a613c9918d539053de92010000000000000000000000000000000000000000000000000000000000000000000000000000000026acaa9a010000000000008100000075925535aa83e99eea6ef7c775faa7026e85883095eb1bd29246bf5fe37dc46b15327b78550d92c12eddafb89f16a7b71e7e8f374ed3d70d1972db770787395c9fe2302bc252fc822a1d0c764ca64d9a5091b19abbfdbf9169d23af8aa034d921009a0d4b89e9bb279e968efc56df35d56ee0002c3ee57dcf1e01d31d04fcf1bd4fbba6f2859e4bf16d99673d982b45d099597d87eb1f8ee8ec277e172662c9ec73edf456ea2d475890224e3e30d00eb7e6ec0f09a75bf0b83df5dc2e00e1ffaa7"), "vector");

        Assert.Equal(1, entry.Sequence);
        Assert.Equal(new Hlc(1_763_800_000_000, 0), entry.Clock);
        Assert.Equal(VaultId, entry.VaultId);
        Assert.True(entry.VerifySignature(device));
        Assert.Equal("045062c1a94170e4e248487b24e7f3174dc79e379ef68d73ebe2307b15ffdf0c", Convert.ToHexStringLower(entry.Hash));
        Assert.Equal("""{"ops":[{"op":"device","device":"826098042eadcd890b7ca19a452f66a20c3b4036add1a613c9918d539053de92"}]}""", Encoding.UTF8.GetString(entry.OpenPayload(keys.LogSeal)));
    }

    [Fact]
    public void KeyEpochs_OpenFromTheRecoveryKey_AndDownTheChainFromAMembersKey()
    {
        var epochOne = Enumerable.Repeat((byte)0x44, 32).ToArray();
        var header = new VaultHeader
        {
            VaultId = Convert.ToHexStringLower(VaultId),
            CreatedAt = DateTimeOffset.UnixEpoch,
            Kdf = new KdfSettings("argon2id", 1, 8, Convert.ToBase64String(new byte[16])),
            Chunker = new ChunkerSettings(1024, 4096, 16384),
            PackSize = 1 << 20,
            GenesisDevice = new string('0', 64),
            Slots = new KeySlots(Convert.ToBase64String(new byte[60]), "VFRUVFRUVFRUVFRUtsD0jJU3z8m1MuZ9bPSYCAB0FP2d1gzSuMXgvdavL3MT3+Yl6o9xNlhoDAdBj7n/"),
            Epochs =
            [
                new KeyEpoch("VVVVVVVVVVVVVVVVsAM0wMhwyU23E/sEyc2yIa5zo3edAazvCEBC0KNJIUUbUfYX5ZYcwiz1tgpdP/BA", null),
                new KeyEpoch("VlZWVlZWVlZWVlZWtfKxd5bzNV70+ru0f9HP9MgWZT6q4K/P87Z/EM91zQbDhgSXsHB2JfBdnJRf3smW",
                    "V1dXV1dXV1dXV1dX4QkvOiWwvtQU7smKkGfoNYPEHqMPTLJKRpP14oFCbeg2Nhl7lsixwjNN6ardBAZ4"),
            ],
        };
        header = VaultHeader.Decode(header.Encode());
        Assert.Equal("872c99768a0189efea3d0df4f5b87aefbdd31e225dfdaba37367ab0d31735964", Convert.ToHexStringLower(KeyRing.Derive(Enumerable.Repeat((byte)0x33, 32).ToArray(), VaultId, "epoch-wrap")));
        Assert.Equal("8fe331281973767ff9a1faf6a52579c15c5730b6377eca9871b85a54cddb26a5", Convert.ToHexStringLower(KeyRing.Derive(epochOne, VaultId, "epoch-chain")));

        var recovery = PrintableKey.Format(Enumerable.Repeat((byte)0x77, 32).ToArray());
        using var owner = VaultKeys.Unlock(header, VaultSecret.RecoveryKey(recovery));
        Assert.True(owner.HasRoot);
        Assert.Equal(Master, owner.EpochKey(0).ToArray());
        Assert.Equal(epochOne, owner.EpochKey(1).ToArray());
        Assert.Equal("11b18d508cf2d1f0eb13fc1ad9390fc64822538fface88dd60a785ba9a3ec85d", Convert.ToHexStringLower(owner.ChunkSeal));
        Assert.Equal("d55012736a45b2d06927009e79068be1a07e9617d7790f91e97ebc9e8052efc4", Convert.ToHexStringLower(owner.LogSeal));
        // Chunk IDs stay those of epoch 0: "hello world" has the ID of the vector above, sealed under epoch 1.
        var codec = new ChunkCodec(owner);
        var id = codec.ComputeId("hello world"u8);
        Assert.Equal("bd44076e64276f05907f3cf672e68162698dc660758c5bfe9f77abada7958a68", id.Hex);
        var sealedBlob = Convert.FromHexString("010100010b00000058585858585858585858585809c3520a4b7b8061ce17824abd6072acadf3e27a025871687c9da7");
        var plaintext = new byte[11];
        codec.Open(id, BlobKind.Data, sealedBlob, plaintext, "vector");
        Assert.Equal("hello world"u8.ToArray(), plaintext);

        // A member given epoch 1's key (slot "member@1") walks the chain down to epoch 0.
        using var agreement = AgreementKey.Create();
        var wrapped = PublicKeyWrap.Wrap(agreement.PublicKey, epochOne, "member@1", VaultId);
        using var member = VaultKeys.Unlock(header, VaultSecret.Wrapped(agreement, wrapped, "member"));
        Assert.False(member.HasRoot);
        Assert.Equal(Master, member.EpochKey(0).ToArray());
        Assert.Equal(1, member.Epoch);
    }
}
