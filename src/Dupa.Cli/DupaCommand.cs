using System.CommandLine;
using Dupa.Cli.Commands;
using Dupa.Cli.Remote;

namespace Dupa.Cli;

/// <summary>The <c>dupa</c> command tree.</summary>
public static class DupaCommand
{
    public static RootCommand Build()
    {
        var root = new RootCommand("""
            D.U.P.A: an encrypted, deduplicated, versioned file vault.

            The vault is --vault DIR or $DUPA_VAULT; the passphrase comes from --passphrase-file,
            $DUPA_PASSPHRASE, or a prompt. Exit codes are listed in the README.
            """)
        {
            Globals.Vault,
            Globals.PassphraseFile,
            Globals.Json,
            Globals.Remote,
            InitCommand.Build(),
            PutCommand.Build(),
            GetCommand.Build(),
            LsCommand.Build(),
            HistoryCommand.Build(),
            RmCommand.Build(),
            TrashCommand.Build(),
            FindCommand.Build(),
            TagCommand.Build(),
            DiffCommand.Build(),
            LogCommand.Build(),
            PolicyCommand.Build(),
            ForgetCommand.Build(),
            LockCommand.Build(),
            GcCommand.Build(),
            VerifyCommand.Build(),
            StatsCommand.Build(),
            PasswdCommand.Build(),
            RecoverCommand.Build(),
            IndexCommand.Build(),
            ServeCommand.Build(),
            LoginCommand.BuildLogin(),
            LoginCommand.BuildLogout(),
            LoginCommand.BuildRemote(),
            PeerCommand.BuildId(),
            PeerCommand.BuildPeer(),
            PeerCommand.BuildStatus(),
            PeerCommand.BuildVault(),
            ShareCommand.BuildShare(),
            ShareCommand.BuildLink(),
            UserCommand.Build(),
        };
        return root;
    }
}
