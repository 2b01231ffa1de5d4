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

    public static readonly Option<string?> Remote = new("--remote")
    {
        Description = "Work on a vault of this node instead of a local one (see 'dupa login'); --vault then names the node's vault",
        HelpName = "NAME",
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
        result.GetValue(Remote) is not null
            ? throw new DupaException(ErrorCode.InvalidInput, $"'dupa {result.CommandResult.Command.Name}' works on a local vault only; it has no --remote form")
            : Dupa.Core.Vaults.Vault.Open(VaultDirectory(result), VaultSecret.Passphrase(Secrets.Passphrase(result.GetValue(PassphraseFile))),
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

    /// <summary>Parses a size: a number of bytes with an optional unit (k, M, G, T, binary; "KiB" and "MB" spellings too).</summary>
    public static long ParseSize(string text)
    {
        var trimmed = text.Trim();
        var split = trimmed.Length;
        while (split > 0 && char.IsAsciiLetter(trimmed[split - 1]))
        {
            split--;
        }
        var unit = trimmed[split..].ToUpperInvariant().TrimEnd('B').TrimEnd('I');
        long multiplier = unit switch
        {
            "" => 1,
            "K" => 1L << 10,
            "M" => 1L << 20,
            "G" => 1L << 30,
            "T" => 1L << 40,
            _ => 0,
        };
        if (multiplier == 0 || !double.TryParse(trimmed[..split], NumberStyles.Float, CultureInfo.InvariantCulture, out var number) || number < 0 || number * multiplier > long.MaxValue)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"cannot read '{text}' as a size; use e.g. 500k, 10M, 1.5G");
        }
        return (long)(number * multiplier);
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
