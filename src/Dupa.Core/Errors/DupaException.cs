namespace Dupa.Core.Errors;

/// <summary>
/// The one error family of the engine. Every failure a user can meet (a wrong passphrase, a damaged pack,
/// a full disk) is a <see cref="DupaException"/> with a stable <see cref="Code"/>; the CLI and the node map
/// codes to exit codes and problem+json in exactly one place each. Caller bugs stay <see cref="ArgumentException"/>.
/// </summary>
public class DupaException : Exception
{
    public DupaException(ErrorCode code, string message, Exception? inner = null, bool isTransient = false)
        : base(message, inner)
    {
        Code = code;
        IsTransient = isTransient;
    }

    /// <summary>What kind of failure this is; stable across versions.</summary>
    public ErrorCode Code { get; }

    /// <summary>True when retrying the same operation may succeed (I/O hiccups, a busy lock, a peer away).</summary>
    public bool IsTransient { get; }
}

/// <summary>
/// Something failed authentication or a hash check: the bytes on disk (or from a peer) are not what was written.
/// Never returned as data; always names the damaged object.
/// </summary>
public sealed class IntegrityException : DupaException
{
    public IntegrityException(string damagedObject, string message, Exception? inner = null)
        : base(ErrorCode.Integrity, $"{damagedObject}: {message}", inner)
    {
        DamagedObject = damagedObject;
    }

    /// <summary>The object that is damaged, as a user would name it: "pack 3fa2…", "log 9c1e… entry 17", "vault header".</summary>
    public string DamagedObject { get; }
}
