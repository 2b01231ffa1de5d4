using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Core.Retention;
using Dupa.Core.Vaults;
using Dupa.Node.Data;

namespace Dupa.Node.Vaults;

/// <summary>An unlocked vault: its key lives in this process's memory until it is locked or the node stops.</summary>
public sealed class UnlockedVault(Vault vault) : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    public Vault Vault { get; } = vault;

    /// <summary>
    /// Runs <paramref name="action"/> alone on this vault. The engine allows one writer and its state is not
    /// shared across threads, so requests take turns; streaming a download happens outside (chunks are read
    /// from immutable packs).
    /// </summary>
    public async Task<T> WithVaultAsync<T>(Func<Vault, Task<T>> action, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return await action(Vault);
        }
        finally
        {
            _gate.Release();
        }
    }

    public Task<T> WithVaultAsync<T>(Func<Vault, T> action, CancellationToken cancellationToken) =>
        WithVaultAsync(v => Task.FromResult(action(v)), cancellationToken);

    /// <summary>
    /// Logical bytes (every kept version) and stored bytes (packs), for metrics; the last figures if the vault is busy.
    /// The logical bytes are counted again only when the vault has taken entries since, so that a scrape of an idle
    /// node does not read and fold a released state again (<see cref="ReleaseMemory"/>).
    /// </summary>
    public (long Logical, long Stored) Usage()
    {
        if (_gate.Wait(0))
        {
            try
            {
                var taken = Vault.EntriesTaken;
                if (taken != _usageTaken)
                {
                    var state = Vault.State;
                    _logical = state.Nodes.Concat(state.Trash.SelectMany(t => t.Nodes)).Where(n => n.Type == Core.Manifest.NodeType.File)
                        .Sum(n => n.Versions.Sum(v => v.Size));
                    _usageTaken = taken;
                }
                _stored = Vault.Index.Packs().Sum(p => p.Size);
            }
            finally
            {
                _gate.Release();
            }
        }
        return (_logical, _stored);
    }

    private long _logical, _stored;
    private int _usageTaken = -1;

    /// <summary>
    /// Hands back what the vault holds for speed alone, unless it is in use: the index's caches
    /// (<see cref="Core.Index.VaultIndex.ReleaseMemory"/>) and the decoded logs and folded state
    /// (<see cref="Vault.ReleaseState"/>), which the next request reads and folds again.
    /// </summary>
    public void ReleaseMemory()
    {
        if (!_gate.Wait(0))
        {
            return;
        }
        try
        {
            Vault.Index.ReleaseMemory();
            Vault.ReleaseState();
        }
        finally
        {
            _gate.Release();
        }
    }

    public void Dispose()
    {
        _gate.Wait();
        Vault.Dispose();
        _gate.Dispose();
    }
}

/// <summary>The node's vaults: where they live, creating them, and which are unlocked.</summary>
public sealed class VaultSessions(NodeOptions options, NodeDatabase database, TimeProvider time) : IDisposable
{
    private readonly Dictionary<string, UnlockedVault> _unlocked = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public string DirectoryOf(string vaultId) => Path.Combine(options.Data, "vaults", vaultId);

    public (VaultRecord Record, string RecoveryKey) Create(User owner, string name, string passphrase)
    {
        if (database.VaultsOf(owner.Id).Any(v => string.Equals(v.Name, name, StringComparison.Ordinal)))
        {
            throw new DupaException(ErrorCode.AlreadyExists, $"you already have a vault named '{name}'");
        }
        var id = Guid.NewGuid().ToString("N");
        var createOptions = new VaultCreateOptions();
        if (options.VaultKdfIterations is { } iterations || options.VaultKdfMemoryKiB is not null)
        {
            createOptions = createOptions with { Kdf = new Argon2Parameters(options.VaultKdfIterations ?? createOptions.Kdf.Iterations, options.VaultKdfMemoryKiB ?? createOptions.Kdf.MemoryKiB) };
        }
        var created = VaultInit.Create(DirectoryOf(id), passphrase, createOptions, time);
        var record = new VaultRecord(id, owner.Id, name, time.GetUtcNow());
        database.AddVault(record);
        return (record, created.RecoveryKey);
    }

    public int UnlockedCount
    {
        get
        {
            lock (_gate)
            {
                return _unlocked.Count;
            }
        }
    }

    /// <summary>
    /// Refuses an upload of <paramref name="incoming"/> bytes that would take <paramref name="user"/> past their
    /// quota. Usage is the pack files of all their vaults; the check is conservative, since deduplication and
    /// compression may store less than arrives.
    /// </summary>
    public void CheckQuota(User user, long incoming)
    {
        if (user.QuotaBytes <= 0)
        {
            return;
        }
        var used = BytesUsedBy(user);
        if (used + Math.Max(incoming, 0) > user.QuotaBytes)
        {
            throw new DupaException(ErrorCode.QuotaExceeded, $"this would exceed your quota of {user.QuotaBytes} bytes ({used} used)");
        }
    }

    /// <summary>What a user's vaults take on disk: their pack files (what the quota counts).</summary>
    public long BytesUsedBy(User user) => database.VaultsOf(user.Id).Sum(v =>
    {
        var packs = Path.Combine(DirectoryOf(v.Id), "packs");
        return Directory.Exists(packs) ? Directory.EnumerateFiles(packs, "*.pack", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length) : 0;
    });

    public bool IsUnlocked(string vaultId)
    {
        lock (_gate)
        {
            return _unlocked.ContainsKey(vaultId);
        }
    }

    public void Unlock(string vaultId, string passphrase) => UnlockWith(vaultId, VaultSecret.Passphrase(passphrase));

    /// <summary>The vault key of a vault this node is a member of, wrapped to its agreement key by the peer that shared it.</summary>
    public string MemberKeyPath(string vaultId) => Path.Combine(DirectoryOf(vaultId), "member.key");

    /// <summary>Unlocks a vault this node is a member of with its own agreement key: no passphrase is needed.</summary>
    public void UnlockAsMember(string vaultId, AgreementKey agreement)
    {
        if (IsUnlocked(vaultId))
        {
            return;
        }
        lock (_gate)
        {
            if (_lockedByHand.Contains(vaultId))
            {
                throw new DupaException(ErrorCode.NotUnlocked, "the vault was locked here; it syncs again once someone unlocks it");
            }
        }
        var path = MemberKeyPath(vaultId);
        if (!File.Exists(path))
        {
            throw new DupaException(ErrorCode.NotUnlocked, "the vault is locked here; unlock it with its passphrase to sync it with its members");
        }
        Open(vaultId, VaultSecret.Wrapped(agreement, File.ReadAllBytes(path), "member"));
    }

    /// <summary>Vaults someone locked on purpose: member sync does not open them again behind their back.</summary>
    private readonly HashSet<string> _lockedByHand = new(StringComparer.Ordinal);

    /// <summary>One at a time per vault: two opens at once would meet at the vault's write lock and one would fail.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, Lock> _opening = new(StringComparer.Ordinal);

    /// <summary>Opens the vault with <paramref name="secret"/>; if it is (or has just been) unlocked, the secret is still checked.</summary>
    private void Open(string vaultId, VaultSecret secret)
    {
        lock (_opening.GetOrAdd(vaultId, _ => new Lock()))
        {
            if (IsUnlocked(vaultId))
            {
                Vault.CheckSecret(DirectoryOf(vaultId), secret);
                return;
            }
            var vault = Vault.Open(DirectoryOf(vaultId), secret, new VaultOpenOptions { Writable = true, Time = time });
            // The trash period is enforced whenever the vault is written; unlocking is the first chance.
            Forgetter.ExpireTrash(vault);
            lock (_gate)
            {
                _lockedByHand.Remove(vaultId);
                _unlocked[vaultId] = new UnlockedVault(vault);
            }
        }
    }

    /// <summary>
    /// Unlocks a vault with any <see cref="VaultSecret"/> (its passphrase, a user's wrapped copy of the key,
    /// docs/sharing.md); if it is already unlocked the secret is still checked, so this never says yes to a wrong one.
    /// </summary>
    public void UnlockWith(string vaultId, VaultSecret secret) => Open(vaultId, secret);

    /// <summary>The unlocked vault, or null when it is locked.</summary>
    public UnlockedVault? TryGet(string vaultId)
    {
        lock (_gate)
        {
            return _unlocked.GetValueOrDefault(vaultId);
        }
    }

    public void Lock(string vaultId)
    {
        lock (_gate)
        {
            _lockedByHand.Add(vaultId);
        }
        Close(vaultId);
    }

    /// <summary>Drops the vault's key from memory without marking it locked by hand: to open it again with another key.</summary>
    public void Close(string vaultId)
    {
        UnlockedVault? session;
        lock (_gate)
        {
            _unlocked.Remove(vaultId, out session);
        }
        session?.Dispose();
    }

    /// <summary>
    /// Rotates the vault's key (docs/format.md, Key epochs) and wraps the new key to every user the vault is shared
    /// with, so they keep access and whoever was removed before does not. The owner's passphrase is needed: it holds
    /// the root key, which a key shared with a user does not. Returns the new epoch.
    /// </summary>
    public async Task<int> RotateKeyAsync(string vaultId, string passphrase, CancellationToken cancellationToken)
    {
        var secret = VaultSecret.Passphrase(passphrase);
        if (TryGet(vaultId) is { Vault.HoldsRootKey: false })
        {
            // Opened with a user's copy of the key: the passphrase is checked before that session is closed, and the
            // vault opened again with the root key.
            Vault.CheckSecret(DirectoryOf(vaultId), secret);
            Close(vaultId);
        }
        // Opens it, or checks the passphrase against the session that holds the root key already: one key derivation.
        Open(vaultId, secret);
        return await Get(vaultId).WithVaultAsync(vault =>
        {
            var epoch = vault.RotateKey();
            foreach (var member in database.MembersOf(vaultId))
            {
                // A member whose key pair an admin reset replaced is left as it is: wrapping to the new pair would hand
                // the vault to whoever chose the new password. Sharing with them again is the owner's own decision.
                if (database.FindUserKey(member.UserId) is { } userKey && !member.NeedsReshare(userKey))
                {
                    database.SaveMember(member with { WrappedKey = vault.WrapKeyTo(userKey.PublicKey, Sharing.UserKeys.SlotFor(member.UserId)), KeyId = userKey.KeyId });
                }
            }
            return epoch;
        }, cancellationToken);
    }

    /// <summary>Logical and stored bytes over the unlocked vaults.</summary>
    public (long Logical, long Stored) Usage()
    {
        List<UnlockedVault> open;
        lock (_gate)
        {
            open = [.. _unlocked.Values];
        }
        var usages = open.Select(v => v.Usage()).ToList();
        return (usages.Sum(u => u.Logical), usages.Sum(u => u.Stored));
    }

    public UnlockedVault Get(string vaultId)
    {
        lock (_gate)
        {
            return _unlocked.TryGetValue(vaultId, out var session)
                ? session
                : throw new DupaException(ErrorCode.NotUnlocked, "the vault is locked; unlock it with its passphrase first");
        }
    }

    /// <summary>What each unlocked vault not in use can hand back (<see cref="UnlockedVault.ReleaseMemory"/>); for an idle node.</summary>
    public void ReleaseMemory()
    {
        List<UnlockedVault> unlocked;
        lock (_gate)
        {
            unlocked = [.. _unlocked.Values];
        }
        foreach (var session in unlocked)
        {
            try
            {
                session.ReleaseMemory();
            }
            catch (ObjectDisposedException)
            {
                // Locked again meanwhile: its memory went with it.
            }
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            foreach (var session in _unlocked.Values)
            {
                session.Dispose();
            }
            _unlocked.Clear();
        }
    }
}
