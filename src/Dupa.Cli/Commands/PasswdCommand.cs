using System.CommandLine;

namespace Dupa.Cli.Commands;

public static class PasswdCommand
{
    public static Option<string?> NewPassphraseFile() => new("--new-passphrase-file")
    {
        Description = "Read the new passphrase from this file (default: $DUPA_NEW_PASSPHRASE, else a prompt)",
        HelpName = "FILE",
    };

    public static Command Build()
    {
        var newFile = NewPassphraseFile();
        var command = Globals.NewCommand("passwd", "Change the passphrase (re-wraps the vault key; no data is re-encrypted).", "DUPA_NEW_PASSPHRASE='new words' dupa passwd");
        command.Add(newFile);
        command.SetAction(result =>
        {
            using var vault = Globals.Open(result, writable: true);
            vault.ChangePassphrase(Secrets.NewPassphrase(result.GetValue(newFile)));
            Console.WriteLine(result.GetValue(Globals.Json) ? "{\"changed\": true}" : "passphrase changed");
            return ExitCodes.Ok;
        });
        return command;
    }
}
