using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Manifest;
using Dupa.Core.Vaults;

namespace Dupa.Core.Retention;

/// <summary><c>dupa policy set</c> and <c>dupa lock</c>: both are entries in the log, so every device obeys them.</summary>
public static class PolicyCommands
{
    public static RetentionPolicy SetPolicy(Vault vault, RetentionPolicy policy)
    {
        policy = policy.Validated();
        vault.Append([new PolicyOp(policy)]);
        return vault.State.Policy;
    }

    /// <summary>
    /// Protects <paramref name="prefix"/> until <paramref name="until"/>. A lock can be extended but never shortened
    /// or lifted; asking for an earlier date than the current lock is refused.
    /// </summary>
    public static DateTimeOffset Lock(Vault vault, string prefix, DateTimeOffset until)
    {
        prefix = VaultPath.Parse(prefix);
        var untilMs = until.ToUnixTimeMilliseconds();
        if (untilMs <= vault.NowMs)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a lock's date must be in the future");
        }
        if (vault.State.Locks.TryGetValue(prefix, out var current) && current > untilMs)
        {
            throw new DupaException(ErrorCode.WriteOnce, $"'{prefix}' is already protected by a write-once lock until {Forgetter.FormatTime(current)}; a lock can be extended, never shortened");
        }
        vault.Append([new LockOp(prefix, untilMs)]);
        return DateTimeOffset.FromUnixTimeMilliseconds(vault.State.Locks[prefix]);
    }
}
