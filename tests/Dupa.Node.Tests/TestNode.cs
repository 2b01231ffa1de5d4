using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Dupa.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Tests;

/// <summary>
/// A real node on real Kestrel, HTTPS on 127.0.0.1 with a free port, with cheap Argon2 costs. Clients pin the
/// node's certificate, as the CLI does.
/// </summary>
public sealed class TestNode : IAsyncDisposable
{
    public const string AdminPassword = "admin-password";

    private readonly TempDirectory _data;
    private readonly WebApplication _app;

    private TestNode(WebApplication app, TempDirectory data, FakeTimeProvider time, StringWriter console, CapturedLogs logs)
    {
        _app = app;
        _data = data;
        Time = time;
        Console = console;
        Logs = logs;
        BaseAddress = new Uri(NodeHost.Addresses(app).Single(a => !NodeHost.IsPeerAddress(app, a)));
    }

    public FakeTimeProvider Time { get; }

    public StringWriter Console { get; }

    /// <summary>What the node logged, as its console would show it.</summary>
    public CapturedLogs Logs { get; }

    public Uri BaseAddress { get; }

    public string DataDirectory => _data.Path;

    /// <summary>The node's services, for tests that inspect how it is wired (its endpoints, say).</summary>
    public IServiceProvider Services => _app.Services;


    public static async Task<TestNode> StartAsync(bool withAdmin = true, Action<NodeOptions>? configure = null)
    {
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        var console = new StringWriter();
        var data = new TempDirectory("dupa-node-test-");
        var logs = new CapturedLogs();
        var app = NodeHost.Build(["--data", data.Path, "--urls", "https://127.0.0.1:0"], options =>
        {
            options.PasswordHashIterations = 1;
            options.PasswordHashMemoryKiB = 8;
            options.VaultKdfIterations = 1;
            options.VaultKdfMemoryKiB = 8;
            options.LoginFailuresPerMinute = 10;
            options.AdminUser = withAdmin ? "admin" : null;
            options.AdminPassword = withAdmin ? AdminPassword : null;
            // Tests that pin peers give addresses; those that test discovery turn it on with ports of their own.
            options.LocalDiscovery = false;
            configure?.Invoke(options);
        }, time, console, logging => logging.AddProvider(logs).AddFilter<CapturedLogs>("Dupa", LogLevel.Debug));
        await app.StartAsync();
        return new TestNode(app, data, time, console, logs);
    }

    public HttpClient Client(string? token = null, System.Net.CookieContainer? cookies = null)
    {
        var expected = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(_data.Path, "tls", "node.pfx"), null);
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, certificate, _, _) => certificate is not null && certificate.RawData.AsSpan().SequenceEqual(expected.RawData),
            UseCookies = true,
            CookieContainer = cookies ?? new System.Net.CookieContainer(),
        };
        var client = new HttpClient(handler) { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        if (token is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return client;
    }

    public async Task<string> LoginAsync(string username = "admin", string password = AdminPassword, HttpClient? client = null)
    {
        using var own = client is null ? Client() : null;
        var response = await (client ?? own!).PostAsJsonAsync("/api/v1/auth/login", new { username, password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("accessToken").GetString()!;
    }

    public async Task<string> CreateUserAsync(string username, string password)
    {
        using var admin = Client(await LoginAsync());
        var response = await admin.PostAsJsonAsync("/api/v1/users", new { username, password });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        return await LoginAsync(username, password);
    }

    /// <summary>Creates and unlocks a vault; returns its ID.</summary>
    public static async Task<string> CreateVaultAsync(HttpClient client, string name = "photos", string passphrase = "vault passphrase")
    {
        var response = await client.PostAsJsonAsync("/api/v1/vaults", new { name, passphrase });
        Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var id = json.RootElement.GetProperty("id").GetString()!;
        var unlock = await client.PostAsJsonAsync($"/api/v1/vaults/{id}/unlock", new { passphrase });
        Assert.True(unlock.IsSuccessStatusCode, await unlock.Content.ReadAsStringAsync());
        return id;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _data.Dispose();
    }
}
