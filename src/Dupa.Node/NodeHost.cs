using System.Diagnostics;
using System.Net;
using System.Text.Json.Serialization.Metadata;
using System.Threading.RateLimiting;
using Dupa.Core.Crypto;
using Dupa.Core.Errors;
using Dupa.Node.Api;
using Dupa.Node.Data;
using Dupa.Node.Events;
using Dupa.Node.Jobs;
using Dupa.Node.Metrics;
using Dupa.Node.Peers;
using Dupa.Node.Security;
using Dupa.Node.Uploads;
using Dupa.Node.Vaults;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dupa.Node;

public sealed record HealthView(string Status);

public sealed record ReadyView(string Status, bool Users);

/// <summary>
/// Builds the node: configuration, Kestrel with HTTPS, authentication, the REST API under /api/v1, its
/// OpenAPI document and reference page, health checks. <c>dupa serve</c> runs it; tests run it on 127.0.0.1.
/// </summary>
public static class NodeHost
{
    /// <summary>Maps the CLI's flags onto configuration keys, so flags, environment and files all set the same options.</summary>
    private static readonly Dictionary<string, string> SwitchMappings = new()
    {
        ["--data"] = "Dupa:Data",
        ["--signup"] = "Dupa:Signup",
        ["--certificate"] = "Dupa:CertificatePath",
        ["--certificate-password"] = "Dupa:CertificatePassword",
        ["--behind-proxy"] = "Dupa:BehindProxy",
        ["--web-root"] = "Dupa:WebRoot",
        ["--peer-listen"] = "Dupa:PeerListen",
    };

    public static WebApplication Build(string[] args, Action<NodeOptions>? configure = null, TimeProvider? time = null, TextWriter? console = null,
        Action<ILoggingBuilder>? logging = null)
    {
        console ??= Console.Out;
        time ??= TimeProvider.System;
        // The node reads its options once, at start, so watching appsettings.json for changes (a file system watcher
        // and its thread) bought nothing.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.AddJsonFile("dupa.json", optional: true);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(args, SwitchMappings);
        var options = new NodeOptions();
        builder.Configuration.GetSection(NodeOptions.Section).Bind(options);
        options.AdminUser ??= Environment.GetEnvironmentVariable("DUPA_ADMIN_USER");
        options.AdminPassword ??= Environment.GetEnvironmentVariable("DUPA_ADMIN_PASSWORD");
        configure?.Invoke(options);
        options.Data = Path.GetFullPath(options.Data);
        Directory.CreateDirectory(options.Data);

        var urls = builder.Configuration["urls"] ?? "https://127.0.0.1:8443";
        CheckPlainHttp(urls, options);
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries));
        builder.WebHost.UseKestrelHttpsConfiguration();
        var certificate = urls.Contains("https://", StringComparison.OrdinalIgnoreCase) ? Certificates.LoadOrCreate(options, time) : null;
        var database = new NodeDatabase(options.Data);
        var identity = NodeIdentity.LoadOrCreate(options.Data, time);
        var peers = new PeerRegistry(database, time);
        var invites = new PeerInvites(time);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            if (options.PeerListen is { } peerListen)
            {
                PeerListener.Configure(kestrel, urls, certificate, peerListen, identity, peers, invites, kestrel.ApplicationServices);
            }
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestBodySize = 16 * 1024 * 1024;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            kestrel.Limits.MinRequestBodyDataRate = new Microsoft.AspNetCore.Server.Kestrel.Core.MinDataRate(100, TimeSpan.FromSeconds(10));
            if (certificate is not null)
            {
                kestrel.ConfigureHttpsDefaults(https => https.ServerCertificate = certificate);
            }
        });
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(c => c.SingleLine = true);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        logging?.Invoke(builder.Logging);

        var services = builder.Services;
        services.AddSingleton(options);
        services.AddSingleton(time);
        services.AddSingleton(database);
        services.AddSingleton(identity);
        services.AddSingleton(peers);
        services.AddSingleton(invites);
        services.AddSingleton<Api.DownloadTickets>();
        services.AddSingleton<Replicator>();
        services.AddSingleton<Members>();
        services.AddSingleton<Bandwidth>();
        services.AddSingleton<Auditor>();
        services.AddSingleton<RelayHub>();
        services.AddSingleton<RelayListener>();
        services.AddSingleton<PeerConnector>();
        services.AddHostedService(provider => provider.GetRequiredService<PeerConnector>());
        services.AddHostedService<LocalDiscovery>();
        services.AddSingleton<PortMapper>();
        if (options.PortMapping is { } mapping && !mapping.Equals("none", StringComparison.OrdinalIgnoreCase) && options.PeerListen is not null)
        {
            // Only when port mapping is asked for (PortMapper does nothing otherwise): started anyway, its loop loaded
            // the HTTP client and the XML reader (UPnP) into every idle node, about 4 MiB resident.
            services.AddHostedService(provider => provider.GetRequiredService<PortMapper>());
        }
        services.AddSingleton(new PasswordHasher(new Argon2Parameters(options.PasswordHashIterations, options.PasswordHashMemoryKiB)));
        services.AddSingleton<TokenService>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<SetupToken>();
        services.AddSingleton<VaultSessions>();
        services.AddSingleton<EventHub>();
        services.AddSingleton<Sharing.UserKeys>();
        services.AddSingleton<Sharing.VaultActivity>();
        services.AddSingleton<Sharing.LinkSecrets>();
        services.AddSingleton<UploadSessions>();
        services.AddSingleton<JobRunner>();
        services.AddSingleton<NodeMetrics>();
        services.AddSingleton<PrometheusExporter>();
        // A token bucket per user (or address): a runaway script slows down, the node and other users do not.
        services.AddRateLimiter(limiter =>
        {
            limiter.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            limiter.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(context =>
                RateLimitPartition.GetTokenBucketLimiter(
                    // A peer by its certificate, not its address: relayed peers all arrive from loopback (docs/protocol.md, Transport).
                    context.User.FindFirst("sub")?.Value ?? (context.Connection.ClientCertificate is { } peer ? "peer:" + peer.Thumbprint : "ip:" + context.Connection.RemoteIpAddress),
                    _ => new TokenBucketRateLimiterOptions
                    {
                        TokenLimit = options.RequestsPerSecond * 10,
                        TokensPerPeriod = options.RequestsPerSecond,
                        ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                        QueueLimit = 0,
                        AutoReplenishment = true,
                    }));
            limiter.OnRejected = (rejected, cancellationToken) =>
            {
                rejected.HttpContext.Response.Headers.RetryAfter = "1";
                return ValueTask.CompletedTask;
            };
        });
        services.AddProblemDetails(problems => problems.CustomizeProblemDetails = context =>
            context.ProblemDetails.Extensions.TryAdd("code", ProblemMapping.CodeFor(context.ProblemDetails.Status ?? 500)));
        services.AddExceptionHandler<ProblemMapping>();
        // Nothing in the node protects data with ASP.NET Core's data protection (its tokens are its own), but
        // AddAuthentication registers it beside the scheme: its hosted service read the XML key ring at every start
        // (System.Private.Xml, about 4 MiB), and registering it loaded its assemblies (0.7 MiB). The scheme is
        // registered as AddAuthentication does it, without data protection.
        services.AddAuthenticationCore(authentication => authentication.DefaultScheme = DupaAuthenticationHandler.SchemeName);
        services.AddWebEncoders();
        new AuthenticationBuilder(services).AddScheme<AuthenticationSchemeOptions, DupaAuthenticationHandler>(DupaAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Scopes.Read, p => p.RequireAuthenticatedUser().RequireClaim("scope", Scopes.Read))
            .AddPolicy(Scopes.Write, p => p.RequireAuthenticatedUser().RequireClaim("scope", Scopes.Write))
            .AddPolicy(Scopes.Admin, p => p.RequireAuthenticatedUser().RequireClaim("scope", Scopes.Admin).RequireClaim("role", Roles.Admin));
        // The API's JSON comes from the node's source-generated context, never from reflection (which Native AOT does not
        // have): the reflection resolver goes, so a type missing from NodeJson fails in the tests too. ASP.NET Core's own
        // ProblemDetails context, which AddProblemDetails adds to the chain, stays.
        services.ConfigureHttpJsonOptions(json =>
        {
            var chain = json.SerializerOptions.TypeInfoResolverChain;
            for (var i = chain.Count - 1; i >= 0; i--)
            {
                if (chain[i] is DefaultJsonTypeInfoResolver)
                {
                    chain.RemoveAt(i);
                }
            }
            chain.Insert(0, NodeJson.Default);
        });
        // The OpenAPI services are not registered here but in a container made at the document's first request (OpenApiEndpoints).
        var nodeServices = services.ToArray();

        var app = builder.Build();
        var metrics = app.Services.GetRequiredService<NodeMetrics>();
        var exporter = app.Services.GetRequiredService<PrometheusExporter>();
        metrics.ObserveGauge("dupa_vaults_unlocked", "Vaults whose key is in memory", () => app.Services.GetRequiredService<VaultSessions>().UnlockedCount);
        metrics.ObserveGauge("dupa_users", "Accounts on this node", () => app.Services.GetRequiredService<NodeDatabase>().UserCount());
        metrics.ObserveGauge("dupa_logical_bytes", "Bytes of every kept file version in the unlocked vaults", () => app.Services.GetRequiredService<VaultSessions>().Usage().Logical);
        metrics.ObserveGauge("dupa_stored_bytes", "Bytes of pack files of the unlocked vaults", () => app.Services.GetRequiredService<VaultSessions>().Usage().Stored);
        metrics.ObserveGauge("dupa_dedup_ratio", "Logical bytes per stored byte in the unlocked vaults (deduplication and compression together)", () =>
            app.Services.GetRequiredService<VaultSessions>().Usage() is var (logical, stored) && stored > 0 ? (double)logical / stored : 1.0);
        app.Use(async (context, next) =>
        {
            var started = time.GetTimestamp();
            context.Request.Body = new CountingStream(context.Request.Body, n => metrics.BytesIn.Add(n));
            context.Response.Body = new CountingStream(context.Response.Body, n => metrics.BytesOut.Add(n));
            try
            {
                await next();
            }
            finally
            {
                var tags = new TagList { { "method", context.Request.Method }, { "status", context.Response.StatusCode } };
                metrics.Requests.Add(1, tags);
                metrics.Duration.Record(time.GetElapsedTime(started).TotalSeconds, tags);
            }
        });
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        if (options.PeerListen is { } peerListen)
        {
            // The peer port serves the peer protocol and nothing else: not the API, not /metrics (which trusts loopback,
            // where relayed peers come from), not the web UI (docs/protocol.md, Transport).
            var peerPort = PeerEndpoints.PeerPort(peerListen);
            app.Use((context, next) => context.Connection.LocalPort == peerPort && !context.Request.Path.StartsWithSegments("/peer/v1", StringComparison.Ordinal)
                ? ProblemMapping.Problem(StatusCodes.Status404NotFound, "not_found", "no such resource").ExecuteAsync(context)
                : next(context));
        }
        app.Use(async (context, next) =>
        {
            var headers = context.Response.Headers;
            headers["X-Content-Type-Options"] = "nosniff";
            headers["X-Frame-Options"] = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            // The web UI has no inline script or style; it shows files it fetched as blob: URLs (images, media, PDF).
            headers["Content-Security-Policy"] = "default-src 'self'; img-src 'self' blob:; media-src 'self' blob:; frame-src blob:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
            if (context.Request.IsHttps)
            {
                headers["Strict-Transport-Security"] = "max-age=31536000";
            }
            await next();
        });
        app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(30) });
        app.UseAuthentication();
        app.UseAuthorization();
        app.UseRateLimiter();

        app.MapGet("/healthz", () => Results.Ok(new HealthView("ok"))).WithTags("Health").WithSummary("Liveness: the process answers").AllowAnonymous();
        app.MapGet("/readyz", (NodeDatabase database) => Results.Ok(new ReadyView("ready", database.UserCount() > 0)))
            .WithTags("Health").WithSummary("Readiness: the database answers").AllowAnonymous();
        app.MapGet("/metrics", (HttpContext context) =>
            IsLoopback(context) || context.User.HasClaim("scope", Scopes.Admin)
                ? Results.Text(exporter.Render(), "text/plain; version=0.0.4")
                : ProblemMapping.Problem(StatusCodes.Status403Forbidden, "forbidden", "metrics are for loopback scrapers and admin tokens"))
            .WithTags("Health").WithSummary("Prometheus metrics (from loopback, or with an admin token)").AllowAnonymous();
        AuthEndpoints.Map(app);
        VaultEndpoints.Map(app);
        FileEndpoints.Map(app);
        UserEndpoints.Map(app);
        EventEndpoints.Map(app);
        UploadEndpoints.Map(app);
        JobEndpoints.Map(app);
        PeerEndpoints.Map(app, options);
        SearchEndpoints.Map(app);
        RetentionEndpoints.Map(app);
        ArchiveEndpoints.Map(app);
        DownloadTicketEndpoints.Map(app);
        ShareEndpoints.Map(app);
        LinkEndpoints.Map(app);
        PublicLinkEndpoints.Map(app);
        OpenApiEndpoints.Map(app, nodeServices);
        // The API reference page's middleware (Swagger UI: its embedded files, their provider, its options) is made at
        // the page's first request, not at every start: 1.3 MiB of an idle node that nobody asked for the page.
        // The rest of the pipeline (next) is one delegate for every request, so the branch built once can end in it.
        RequestDelegate? apiDocs = null;
        app.Use((context, next) => context.Request.Path.StartsWithSegments("/" + ApiDocsPrefix, StringComparison.OrdinalIgnoreCase)
            ? (apiDocs ??= ApiDocs(((IApplicationBuilder)app).New(), next))(context)
            : next(context));

        var webRoot = WebUi.WebUiEndpoints.Map(app, options);
        // An unattended install's admin is created before the node listens, so a bad password stops the start with a clear error.
        var createdAdmin = CreateAdminFromEnvironment(app, options);
        app.Lifetime.ApplicationStarted.Register(() => Announce(app, options, certificate, console, webRoot, createdAdmin));
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            app.Services.GetRequiredService<JobRunner>().Dispose();
            app.Services.GetRequiredService<VaultSessions>().Dispose();
            app.Services.GetRequiredService<NodeDatabase>().Dispose();
        });
        return app;
    }

    private const string ApiDocsPrefix = "api-docs";

    private static RequestDelegate ApiDocs(IApplicationBuilder branch, RequestDelegate next)
    {
        branch.UseSwaggerUI(ui =>
        {
            ui.RoutePrefix = ApiDocsPrefix;
            ui.SwaggerEndpoint("/openapi/v1.json", "D.U.P.A node API v1");
            ui.DocumentTitle = "D.U.P.A node API";
        });
        branch.Run(next);
        return branch.Build();
    }

    private static bool IsLoopback(HttpContext context) => context.Connection.RemoteIpAddress is { } address && IPAddress.IsLoopback(address);

    /// <summary>Whether a listening address is the peer port rather than the API's.</summary>
    public static bool IsPeerAddress(WebApplication app, string address) =>
        app.Services.GetRequiredService<NodeOptions>().PeerListen is { } peer && new Uri(address).Port == PeerEndpoints.PeerPort(peer);

    /// <summary>The addresses Kestrel actually listens on (a port of 0 becomes a real one).</summary>
    public static IReadOnlyList<string> Addresses(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    private static bool CreateAdminFromEnvironment(WebApplication app, NodeOptions options)
    {
        var database = app.Services.GetRequiredService<NodeDatabase>();
        if (database.UserCount() > 0 || options.AdminUser is not { Length: > 0 } user || options.AdminPassword is not { Length: > 0 } password)
        {
            return false;
        }
        var hasher = app.Services.GetRequiredService<PasswordHasher>();
        try
        {
            database.AddUser(AuthEndpoints.NewUser(user, password, Roles.Admin, hasher, app.Services.GetRequiredService<TimeProvider>()));
        }
        catch (DupaException e)
        {
            throw new DupaException(e.Code, $"cannot create the admin from DUPA_ADMIN_USER/DUPA_ADMIN_PASSWORD: {e.Message}", e);
        }
        return true;
    }

    private static void Announce(WebApplication app, NodeOptions options, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate, TextWriter console, string? webRoot, bool createdAdmin)
    {
        var database = app.Services.GetRequiredService<NodeDatabase>();
        console.WriteLine($"dupa node: data in {options.Data}");
        console.WriteLine(webRoot is null ? "dupa node: no web UI (build it with 'npm ci && npm run build' in web/)" : $"dupa node: web UI from {webRoot}");
        foreach (var address in Addresses(app))
        {
            console.WriteLine(IsPeerAddress(app, address) ? $"dupa node: listening for peers on {address} (device ID {app.Services.GetRequiredService<NodeIdentity>().Id})"
                : $"dupa node: listening on {address}");
        }
        if (certificate is not null)
        {
            console.WriteLine($"dupa node: certificate SHA-256 fingerprint {Certificates.Fingerprint(certificate)}");
        }
        if (createdAdmin)
        {
            console.WriteLine($"dupa node: created the admin account '{options.AdminUser}' from DUPA_ADMIN_USER");
        }
        else if (database.UserCount() == 0)
        {
            var token = app.Services.GetRequiredService<SetupToken>().Issue();
            console.WriteLine($"dupa node: no account yet; create the admin with the one-time setup token {token}");
            console.WriteLine("dupa node:   POST /api/v1/auth/setup {\"token\": \"...\", \"username\": \"...\", \"password\": \"...\"}");
        }
        console.Flush();
    }

    /// <summary>Plain HTTP only where nobody can listen in: on loopback, or behind a TLS-terminating proxy.</summary>
    private static void CheckPlainHttp(string urls, NodeOptions options)
    {
        foreach (var url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!url.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || options.BehindProxy)
            {
                continue;
            }
            var host = new Uri(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal)).Host;
            var loopback = host == "localhost" || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
            if (!loopback)
            {
                throw new Core.Errors.DupaException(Core.Errors.ErrorCode.InvalidInput,
                    $"refusing plain HTTP on {url}: use https://, or a loopback address, or --behind-proxy true when a reverse proxy terminates TLS");
            }
        }
    }
}
