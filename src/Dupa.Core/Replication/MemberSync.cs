using Dupa.Core.Errors;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;

namespace Dupa.Core.Replication;

/// <summary>Another member's copy of a vault, as the puller sees it: over the peer protocol on a node, or a directory in tests.</summary>
public interface IVaultPeer
{
    Task<ReplicaManifest> ManifestAsync(CancellationToken cancellationToken);

    /// <summary>The device's log from <paramref name="offset"/> on.</summary>
    Task<byte[]> LogBytesAsync(string device, long offset, CancellationToken cancellationToken);

    /// <summary>A chunk exactly as the peer stores it (sealed), or null if the peer does not hold it.</summary>
    Task<byte[]?> SealedChunkAsync(ChunkId id, CancellationToken cancellationToken);
}

/// <summary>Runs an action on the vault alone (a node serializes every use of an open vault).</summary>
public delegate Task VaultAccess(Action<Vault> action);

/// <summary>What one pull brought: entries' bytes, chunks, and what is still missing (chunks the peer lacks too).</summary>
public sealed record MemberPullResult(long LogBytes, int Chunks, long ChunkBytes, int StillMissing);

/// <summary>
/// A member's pull from another member (docs/protocol.md, Members): the device keys and log entries it lacks,
/// each checked (device key against its ID; vault, sequence, chain and signature; then the payload must open
/// under the vault key, which proves the writer is a member), folded in clock order, then the chunks the new state
/// needs, by ID, a few requests at a time, each checked against its ID before it is stored. Nothing but the
/// vault's own files is written, and each step is durable on its own, so a pull cut short resumes where it stopped.
/// </summary>
public static class MemberSync
{
    /// <summary>Chunk requests in flight per pull (back-pressure: at most this many chunks in memory).</summary>
    public const int ChunksInFlight = 8;

    public static async Task<MemberPullResult> PullAsync(string directory, VaultAccess access, IVaultPeer peer, Func<long, Task>? throttle, CancellationToken cancellationToken)
    {
        var manifest = await peer.ManifestAsync(cancellationToken);
        var copy = new ReplicaCopy(directory);
        var theirHeader = VaultHeader.Decode(Convert.FromBase64String(manifest.Header));
        string? own = null;
        await access(vault =>
        {
            own = vault.Device?.Id.Hex;
            // A rotation made there: its entries are sealed under a key this device must be given first.
            vault.AcceptEpochsOf(theirHeader);
            if (vault.KeyEpoch > vault.HeldKeyEpoch)
            {
                throw new DupaException(ErrorCode.KeyRotated, $"the vault's key was rotated (epoch {vault.KeyEpoch}); this member needs the new key before it can pull");
            }
            copy.AcceptDevices(manifest);
        });
        long logBytes = 0;
        foreach (var log in manifest.Logs.Where(l => l.Device != own))
        {
            long have = 0;
            await access(vault => have = vault.LogLength(log.Device));
            if (log.Length <= have)
            {
                continue;
            }
            var bytes = await peer.LogBytesAsync(log.Device, have, cancellationToken);
            // Each device's new entries must check and open under the vault key before any is written, so a pull cut
            // short never leaves unchecked entries behind, and one that does not open is refused whole.
            await access(vault => logBytes += vault.AcceptPulledLog(log.Device, have, bytes));
        }
        IReadOnlyList<(ChunkId Id, BlobKind Kind)> missing = [];
        await access(vault => missing = vault.MissingChunks());
        int chunks = 0;
        long chunkBytes = 0;
        var lacking = new HashSet<ChunkId>();
        var damaged = new List<IntegrityException>();
        while (missing.Count > 0)
        {
            var wanted = missing.Where(m => !lacking.Contains(m.Id)).ToList();
            if (wanted.Count == 0)
            {
                break;
            }
            foreach (var batch in wanted.Chunk(ChunksInFlight * 8))
            {
                var received = new (ChunkId Id, BlobKind Kind, byte[]? Sealed)[batch.Length];
                await Parallel.ForEachAsync(Enumerable.Range(0, batch.Length), new ParallelOptions { MaxDegreeOfParallelism = ChunksInFlight, CancellationToken = cancellationToken },
                    async (i, token) =>
                    {
                        var sealedBlob = await peer.SealedChunkAsync(batch[i].Id, token);
                        if (sealedBlob is not null && throttle is not null)
                        {
                            await throttle(sealedBlob.Length);
                        }
                        received[i] = (batch[i].Id, batch[i].Kind, sealedBlob);
                    });
                await access(vault =>
                {
                    try
                    {
                        foreach (var (id, kind, sealedBlob) in received)
                        {
                            if (sealedBlob is null)
                            {
                                lacking.Add(id);
                                continue;
                            }
                            try
                            {
                                if (vault.AddSealedChunk(id, kind, sealedBlob))
                                {
                                    chunks++;
                                    chunkBytes += sealedBlob.Length;
                                }
                            }
                            catch (IntegrityException e)
                            {
                                // Altered on the peer: not stored; the pull goes on and reports it at the end.
                                lacking.Add(id);
                                damaged.Add(e);
                            }
                        }
                        vault.CommitSealedChunks();
                    }
                    catch
                    {
                        vault.Chunks.AbandonPack();
                        throw;
                    }
                });
            }
            // Versions whose chunk lists just arrived name more chunks.
            await access(vault => missing = vault.MissingChunks());
        }
        if (damaged.Count > 0)
        {
            throw new IntegrityException($"{damaged.Count} chunk(s) from the peer", $"refused, they do not open under the vault key or match their IDs ({damaged[0].Message})");
        }
        return new MemberPullResult(logBytes, chunks, chunkBytes, missing.Count);
    }
}
