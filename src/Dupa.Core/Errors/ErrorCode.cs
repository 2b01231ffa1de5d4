namespace Dupa.Core.Errors;

/// <summary>Stable kinds of failure. Values are part of the CLI's and the API's contract: add, never renumber.</summary>
public enum ErrorCode
{
    /// <summary>Anything not covered below.</summary>
    Unknown = 0,
    /// <summary>The input (a path, an option, a pattern) is malformed.</summary>
    InvalidInput = 1,
    /// <summary>The passphrase or recovery key does not open the vault.</summary>
    WrongPassphrase = 2,
    /// <summary>Stored bytes failed authentication or a hash check.</summary>
    Integrity = 3,
    /// <summary>The directory is not a vault, or a requested path does not exist in it.</summary>
    NotFound = 4,
    /// <summary>The vault was written by a newer version of the format.</summary>
    UnsupportedVersion = 5,
    /// <summary>Another process holds the vault's write lock.</summary>
    Locked = 6,
    /// <summary>Reading or writing the disk failed (full disk, permissions).</summary>
    Io = 7,
    /// <summary>The target already exists.</summary>
    AlreadyExists = 8,
    /// <summary>The operation was cancelled.</summary>
    Cancelled = 9,
    /// <summary>A native library (libsodium, libzstd) could not be loaded.</summary>
    MissingLibrary = 10,
    /// <summary>The vault must be unlocked (on a node) before this operation.</summary>
    NotUnlocked = 11,
    /// <summary>The account's storage quota would be exceeded.</summary>
    QuotaExceeded = 12,
    /// <summary>A write-once lock protects the path until a date; the change is refused.</summary>
    WriteOnce = 13,
    /// <summary>A node presented a certificate other than the one pinned when the CLI logged in to it.</summary>
    Untrusted = 14,
    /// <summary>The caller may see the vault but their role on it does not allow this (docs/sharing.md).</summary>
    Forbidden = 15,
    /// <summary>The vault's key was rotated and this key holds only older epochs (docs/format.md, Key epochs).</summary>
    KeyRotated = 16,
}
