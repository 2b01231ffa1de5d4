using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Dupa.Cli.Tests.Support;
using Dupa.Testing;

namespace Dupa.Cli.Tests;

public sealed class ServeExampleTests
{
    /// <summary>The node issue's unattended start and curl calls, run by bash as written (on a free port).</summary>
    [Fact]
    public async Task UnattendedServe_ThenCurl_WorksAsWritten()
    {
        using var root = new TempDirectory();
        var port = FreePort();
        var data = root.Combine("node");
        var info = DupaProcess.StartInfo(["serve", "--data", data, "--urls", $"https://127.0.0.1:{port}"], new Dictionary<string, string?>
        {
            ["DUPA_ADMIN_USER"] = "admin",
            ["DUPA_ADMIN_PASSWORD"] = "s3cret-pass",
        });
        using var node = Process.Start(info)!;
        try
        {
            var started = false;
            var lines = new List<string>();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!started && await node.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
            {
                lines.Add(line);
                started = line.Contains("created the admin", StringComparison.Ordinal);
            }
            Assert.True(started, "the node did not start: " + string.Join('\n', lines));
            Assert.Contains(lines, l => l.Contains("fingerprint", StringComparison.Ordinal));

            var script = $$"""
                set -euo pipefail
                curl -sfk https://127.0.0.1:{{port}}/healthz
                echo
                curl -sfk -X POST https://127.0.0.1:{{port}}/api/v1/auth/login -H 'content-type: application/json' \
                     -d '{"username":"admin","password":"s3cret-pass"}' > login.json
                TOKEN=$(sed -E 's/.*"accessToken":"([^"]+)".*/\1/' login.json)
                curl -sfk -H "authorization: Bearer $TOKEN" https://127.0.0.1:{{port}}/api/v1/vaults
                """;
            var curl = new ProcessStartInfo("bash", ["-c", script]) { WorkingDirectory = root.Path, RedirectStandardOutput = true, RedirectStandardError = true };
            using var run = Process.Start(curl)!;
            var output = await run.StandardOutput.ReadToEndAsync();
            await run.WaitForExitAsync();
            Assert.True(run.ExitCode == 0, output + await run.StandardError.ReadToEndAsync());
            Assert.Equal("{\"status\":\"ok\"}\n[]", output.Trim());
            Assert.Contains("accessToken", await File.ReadAllTextAsync(Path.Combine(root.Path, "login.json")), StringComparison.Ordinal);
        }
        finally
        {
            node.Kill(entireProcessTree: true);
            await node.WaitForExitAsync();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
