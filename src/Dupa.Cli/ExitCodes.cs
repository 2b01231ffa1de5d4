using Dupa.Core.Errors;

namespace Dupa.Cli;

/// <summary>The CLI's exit codes, documented in the README. The one place errors become exit codes.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int Partial = 3;
    public const int WrongPassphrase = 4;
    public const int Damaged = 5;
    public const int NotFound = 6;
    public const int Locked = 7;
    public const int UnsupportedVersion = 8;
    public const int Io = 9;
    public const int WriteOnce = 10;
    public const int Untrusted = 11;
    public const int Interrupted = 130;

    public static int For(ErrorCode code) => code switch
    {
        ErrorCode.InvalidInput or ErrorCode.AlreadyExists => Usage,
        ErrorCode.WrongPassphrase or ErrorCode.KeyRotated => WrongPassphrase,
        ErrorCode.Integrity => Damaged,
        ErrorCode.NotFound => NotFound,
        ErrorCode.Locked => Locked,
        ErrorCode.UnsupportedVersion => UnsupportedVersion,
        ErrorCode.Io or ErrorCode.MissingLibrary or ErrorCode.QuotaExceeded => Io,
        ErrorCode.Cancelled => Interrupted,
        ErrorCode.WriteOnce => WriteOnce,
        ErrorCode.Untrusted => Untrusted,
        _ => Error,
    };
}
