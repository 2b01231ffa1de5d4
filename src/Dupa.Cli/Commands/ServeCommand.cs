using System.CommandLine;
using Dupa.Core.Native;
using Dupa.Node;
using Dupa.Node.Vaults;
using Microsoft.Extensions.DependencyInjection;

namespace Dupa.Cli.Commands;

public static class ServeCommand
{
    public static Command Build()
    {
        var data = new Option<string?>("--data") { Description = "The node's data directory (default: ~/.local/share/dupa; also Dupa__Data)", HelpName = "DIR" };
        var urls = new Option<string?>("--urls") { Description = "Where to listen, ';'-separated (default https://127.0.0.1:8443)", HelpName = "URLS" };
        var signup = new Option<string?>("--signup") { Description = "'invite' (default) or 'open'", HelpName = "MODE" };
        var certificate = new Option<string?>("--certificate") { Description = "A PFX certificate for HTTPS (default: one generated on first start)", HelpName = "FILE" };
        var certificatePassword = new Option<string?>("--certificate-password") { Description = "The PFX's password", HelpName = "PASSWORD" };
        var behindProxy = new Option<bool>("--behind-proxy") { Description = "Allow plain HTTP on non-loopback addresses: a reverse proxy in front terminates TLS" };
        var webRoot = new Option<string?>("--web-root") { Description = "The built web UI to serve at / (default: the source tree's web/dist, else wwwroot beside this binary)", HelpName = "DIR" };
        var peerListen = new Option<string?>("--peer-listen") { Description = "Listen for peers here (mutual TLS 1.3; only pinned peers connect; see docs/protocol.md)", HelpName = "HOST:PORT" };
        var command = Globals.NewCommand("serve", """
            Run a node: the web UI (/), the REST API (/api/v1, reference at /api-docs), over HTTPS with a certificate made on first start.
            With no account yet, the admin comes from DUPA_ADMIN_USER and DUPA_ADMIN_PASSWORD, or a one-time setup token is printed.
            """, "DUPA_ADMIN_USER=admin DUPA_ADMIN_PASSWORD='s3cret-pass' dupa serve --data /tmp/node --urls https://127.0.0.1:8443");
        command.Add(data);
        command.Add(urls);
        command.Add(signup);
        command.Add(certificate);
        command.Add(certificatePassword);
        command.Add(behindProxy);
        command.Add(webRoot);
        command.Add(peerListen);
        command.SetAction(async (result, cancellationToken) =>
        {
            var args = new List<string>();
            void Pass(string name, string? value)
            {
                if (value is not null)
                {
                    args.Add(name);
                    args.Add(value);
                }
            }
            Pass("--data", result.GetValue(data));
            Pass("--urls", result.GetValue(urls));
            Pass("--signup", result.GetValue(signup));
            Pass("--certificate", result.GetValue(certificate));
            Pass("--certificate-password", result.GetValue(certificatePassword));
            Pass("--behind-proxy", result.GetValue(behindProxy) ? "true" : null);
            Pass("--web-root", result.GetValue(webRoot));
            Pass("--peer-listen", result.GetValue(peerListen));
            var app = NodeHost.Build([.. args]);
            // Starting leaves a few MiB of garbage (configuration, building the endpoints and the pipeline) in a
            // GC heap that an idle node then rarely collects: one full collection once it listens hands that memory back
            // (idle node 83.7 -> 82.0 MiB resident, the same after a minute). Here, not in NodeHost: tests start many
            // nodes in one process.
            app.Lifetime.ApplicationStarted.Register(ProcessMemory.Release);
            // And again each time the node goes quiet after work: what a large put left behind, and the caches of the
            // vaults it used.
            using var idleMemory = new IdleMemory(TimeProvider.System, app.Services.GetRequiredService<VaultSessions>().ReleaseMemory);
            // The host handles SIGINT and SIGTERM itself: requests in flight finish, vaults are closed.
            await app.RunAsync();
            return ExitCodes.Ok;
        });
        return command;
    }
}
