using System.Diagnostics;
using System.Net;
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
        var port = Waiting.FreePort();
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

    /// <summary>
    /// A node stopped in the middle of uploads, by SIGKILL or by SIGTERM (a graceful stop): its vault must open
    /// and verify clean, and each upload must be either complete or absent.
    /// </summary>
    [Theory]
    [InlineData("KILL")]
    [InlineData("TERM")]
    public async Task Serve_StoppedDuringUploads_VaultVerifiesClean(string signal)
    {
        using var root = new TempDirectory();
        var port = Waiting.FreePort();
        var data = root.Combine("node");
        var info = DupaProcess.StartInfo(["serve", "--data", data, "--urls", $"https://127.0.0.1:{port}"], new Dictionary<string, string?>
        {
            ["DUPA_ADMIN_USER"] = "admin",
            ["DUPA_ADMIN_PASSWORD"] = "s3cret-pass",
            ["Dupa__VaultKdfIterations"] = "1",
            ["Dupa__VaultKdfMemoryKiB"] = "8",
        });
        using var node = Process.Start(info)!;
        string vaultId;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await node.StandardOutput.ReadLineAsync(timeout.Token) is { } line && !line.Contains("created the admin", StringComparison.Ordinal))
            {
            }
            using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            using var client = new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port}") };
            var login = await client.PostAsync("/api/v1/auth/login", new StringContent("{\"username\":\"admin\",\"password\":\"s3cret-pass\"}", System.Text.Encoding.UTF8, "application/json"));
            var token = System.Text.Json.JsonDocument.Parse(await login.Content.ReadAsStringAsync()).RootElement.GetProperty("accessToken").GetString();
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            var created = await client.PostAsync("/api/v1/vaults", new StringContent("{\"name\":\"v\",\"passphrase\":\"pp\"}", System.Text.Encoding.UTF8, "application/json"));
            vaultId = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
            await client.PostAsync($"/api/v1/vaults/{vaultId}/unlock", new StringContent("{\"passphrase\":\"pp\"}", System.Text.Encoding.UTF8, "application/json"));
            var random = new SeededRandom(99);
            var ok = await client.PutAsync($"/api/v1/vaults/{vaultId}/files/before.bin", new ByteArrayContent(random.NextBytes(1_000_000)));
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);

            var uploads = Enumerable.Range(0, 8).Select(i => client.PutAsync($"/api/v1/vaults/{vaultId}/files/during{i}.bin", new ByteArrayContent(random.NextBytes(8_000_000)))).ToList();
            await Task.Delay(400);
        }
        finally
        {
            using var kill = Process.Start("kill", [$"-{signal}", node.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await node.WaitForExitAsync(patience.Token);
        }

        var vault = Path.Combine(data, "vaults", vaultId);
        var verify = DupaProcess.Run(["verify", "--vault", vault], new Dictionary<string, string?> { ["DUPA_PASSPHRASE"] = "pp" });
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var get = DupaProcess.Run(["get", "/before.bin", "--vault", vault], new Dictionary<string, string?> { ["DUPA_PASSPHRASE"] = "pp" });
        Assert.Equal(0, get.ExitCode);
        Assert.Equal(1_000_000, get.StdoutBytes.Length);
        for (var i = 0; i < 8; i++)
        {
            var during = DupaProcess.Run(["get", $"/during{i}.bin", "--vault", vault], new Dictionary<string, string?> { ["DUPA_PASSPHRASE"] = "pp" });
            Assert.True(during.ExitCode == 6 || (during.ExitCode == 0 && during.StdoutBytes.Length == 8_000_000), $"during{i}: {during.ExitCode}, {during.StdoutBytes.Length} bytes");
        }
    }
}
