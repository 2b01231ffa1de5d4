using System.CommandLine;
using Dupa.Core.Vaults;

namespace Dupa.Cli.Commands;

public static class RecoverCommand
{
    public static Command Build()
    {
        var keyFile = new Option<string?>("--recovery-key-file") { Description = "Read the recovery key from this file (default: $DUPA_RECOVERY_KEY, else a prompt)", HelpName = "FILE" };
        var newFile = PasswdCommand.NewPassphraseFile();
        var command = Globals.NewCommand("recover", "Set a new passphrase with the recovery key printed at init.", "DUPA_RECOVERY_KEY=... DUPA_NEW_PASSPHRASE='new words' dupa recover");
        command.Add(keyFile);
        command.Add(newFile);
        command.SetAction(result =>
        {
            var secret = VaultSecret.RecoveryKey(Secrets.RecoveryKey(result.GetValue(keyFile)));
            using var vault = Vault.Open(Globals.VaultDirectory(result), secret, new VaultOpenOptions { Writable = true });
            vault.ChangePassphrase(Secrets.NewPassphrase(result.GetValue(newFile)));
            Console.WriteLine(result.GetValue(Globals.Json) ? "{\"changed\": true}" : "passphrase set; the recovery key stays valid");
            return ExitCodes.Ok;
        });
        return command;
    }
}
