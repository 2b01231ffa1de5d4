using System.CommandLine;
using System.Globalization;
using Dupa.Core.Errors;
using Dupa.Core.Vaults;

namespace Dupa.Cli;

/// <summary>Options every command takes, and opening the chosen vault with the chosen secret.</summary>
public static class Globals
{
    public static readonly Option<string?> Vault = new("--vault")
    {
        Description = "The vault directory (default: $DUPA_VAULT)",
        HelpName = "DIR",
        Recursive = true,
    };

    public static readonly Option<string?> PassphraseFile = new("--passphrase-file")
    {
        Description = "Read the passphrase from this file (default: $DUPA_PASSPHRASE, else a prompt)",
        HelpName = "FILE",
        Recursive = true,
    };

    public static readonly Option<bool> Json = new("--json")
    {
        Description = "Print machine-readable JSON",
        Recursive = true,
    };

    public static string VaultDirectory(ParseResult result)
    {
        var directory = result.GetValue(Vault) ?? Environment.GetEnvironmentVariable("DUPA_VAULT");
        return string.IsNullOrEmpty(directory)
            ? throw new DupaException(ErrorCode.InvalidInput, "no vault given: use --vault DIR or set DUPA_VAULT")
            : directory;
    }

    public static Vault Open(ParseResult result, bool writable, bool tolerateDamage = false, bool discardIndex = false) =>
        Dupa.Core.Vaults.Vault.Open(VaultDirectory(result), VaultSecret.Passphrase(Secrets.Passphrase(result.GetValue(PassphraseFile))),
            new VaultOpenOptions { Writable = writable, TolerateDamage = tolerateDamage, DiscardIndex = discardIndex });

    /// <summary>Parses a <c>--at</c> time: an ISO 8601 date or date and time, local unless it names an offset.</summary>
    public static DateTimeOffset ParseTime(string text)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeLocal | DateTimeStyles.AllowWhiteSpaces, out var time))
        {
            return time;
        }
        throw new DupaException(ErrorCode.InvalidInput, $"cannot read '{text}' as a time; use ISO 8601, e.g. 2026-11-22 or 2026-11-22T14:30 or 2026-11-22T14:30:00Z");
    }

    public static Option<string?> AtOption() => new("--at")
    {
        Description = "Show the vault as it was at this time (ISO 8601, e.g. 2026-11-22T14:30)",
        HelpName = "TIME",
    };

    /// <summary>A command with its description and one example, which --help shows.</summary>
    public static Command NewCommand(string name, string description, string example) =>
        new(name, $"{description}\n\nExample:\n  {example}");
}
