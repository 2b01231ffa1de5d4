using System.Text;
using Dupa.Core.Errors;

namespace Dupa.Cli;

/// <summary>
/// Where passphrases come from: a file, an environment variable, or a prompt without echo. Never from a
/// command-line argument (visible to every user in the process list), never printed or logged.
/// </summary>
public static class Secrets
{
    public static string Passphrase(string? passphraseFile, bool confirm = false) =>
        Read(passphraseFile, "DUPA_PASSPHRASE", "Passphrase", confirm, "--passphrase-file");

    public static string NewPassphrase(string? file) =>
        Read(file, "DUPA_NEW_PASSPHRASE", "New passphrase", confirm: true, "--new-passphrase-file");

    /// <summary>A node account's password, for <c>dupa login</c>.</summary>
    public static string NodePassword(string? file) =>
        Read(file, "DUPA_PASSWORD", "Password", confirm: false, "--password-file");

    /// <summary>A password an admin sets for another node account, for <c>dupa user passwd</c>.</summary>
    public static string NewNodePassword(string? file) =>
        Read(file, "DUPA_NEW_PASSWORD", "New password", confirm: true, "--password-file");

    public static string RecoveryKey(string? file) =>
        Read(file, "DUPA_RECOVERY_KEY", "Recovery key", confirm: false, "--recovery-key-file");

    private static string Read(string? file, string variable, string prompt, bool confirm, string fileOption)
    {
        if (file is not null)
        {
            try
            {
                var text = File.ReadAllText(file, Encoding.UTF8);
                // One trailing newline is how editors and 'echo' end a file; it is not part of the secret.
                return text.EndsWith("\r\n", StringComparison.Ordinal) ? text[..^2] : text.EndsWith('\n') ? text[..^1] : text;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new DupaException(ErrorCode.InvalidInput, $"cannot read {fileOption} '{file}': {e.Message}");
            }
        }
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }
        if (Console.IsInputRedirected)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"no {prompt.ToLowerInvariant()}: set {variable}, use {fileOption}, or run in a terminal");
        }
        var first = Prompt(prompt + ": ");
        if (confirm && Prompt("Repeat " + prompt.ToLowerInvariant() + ": ") != first)
        {
            throw new DupaException(ErrorCode.InvalidInput, "the two entries differ");
        }
        return first;
    }

    private static string Prompt(string text)
    {
        Console.Error.Write(text);
        var sb = new StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter)
            {
                break;
            }
            if (key.Key == ConsoleKey.Backspace)
            {
                if (sb.Length > 0)
                {
                    sb.Length--;
                }
                continue;
            }
            sb.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return sb.ToString();
    }
}
