using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.FileProviders;

namespace Dupa.Node.WebUi;

/// <summary>
/// Serves the built web UI (<c>web/dist</c>) at <c>/</c>: its hashed assets as static files, and index.html for
/// any other page path so that a reload or a shared link to <c>/v/…/files/…</c> opens the app. API paths are
/// never answered with the app: an unknown one stays a problem+json 404.
/// </summary>
public static class WebUiEndpoints
{
    /// <summary>
    /// Where the UI is: the configured folder; else <c>web/dist</c> of the source tree the binary was built in (the
    /// freshest build while developing); else <c>wwwroot</c> beside the binary (an installed or published node).
    /// </summary>
    public static string? Locate(NodeOptions options)
    {
        if (options.WebRoot is { Length: > 0 } configured)
        {
            return File.Exists(Path.Combine(configured, "index.html")) ? Path.GetFullPath(configured) : null;
        }
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var dist = Path.Combine(dir.FullName, "web", "dist");
            if (File.Exists(Path.Combine(dist, "index.html")))
            {
                return dist;
            }
        }
        var beside = Path.Combine(AppContext.BaseDirectory, "wwwroot");
        return File.Exists(Path.Combine(beside, "index.html")) ? beside : null;
    }

    public static string? Map(WebApplication app, NodeOptions options)
    {
        if (Locate(options) is not { } root)
        {
            return null;
        }
        var files = new PhysicalFileProvider(root);
        app.UseStaticFiles(new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
                // Vite names assets by their hash: they never change under one name.
                context.Context.Response.Headers.CacheControl = context.Context.Request.Path.StartsWithSegments("/assets")
                    ? "public, max-age=31536000, immutable"
                    : "no-cache",
        });
        var index = Path.Combine(root, "index.html");
        var pattern = RoutePatternFactory.Parse("/{**path}", defaults: null, parameterPolicies: new RouteValueDictionary { ["path"] = new AppPathConstraint() });
        // A RequestDelegate, not a Delegate: the request delegate generator cannot intercept Map with a RoutePattern
        // (its interceptor takes a string pattern, and the build fails with CS9144).
        app.Map(pattern, (RequestDelegate)(context =>
        {
            context.Response.Headers.CacheControl = "no-cache";
            return Results.File(index, "text/html; charset=utf-8").ExecuteAsync(context);
        }))
            .WithMetadata(new HttpMethodMetadata(["GET", "HEAD"]))
            .ExcludeFromDescription()
            .AllowAnonymous()
            .Add(endpoint => ((RouteEndpointBuilder)endpoint).Order = int.MaxValue);
        return root;
    }

    /// <summary>
    /// A path the app handles: not the API, its documents or its reference page, and not a missing file such as
    /// /favicon.ico (a name with a dot) unless it is inside a vault's file browser, where names have dots.
    /// </summary>
    private sealed class AppPathConstraint : IRouteConstraint
    {
        private static readonly string[] Reserved = ["api", "openapi", "api-docs", "metrics", "healthz", "readyz"];

        public bool Match(HttpContext? httpContext, IRouter? route, string routeKey, RouteValueDictionary values, RouteDirection routeDirection)
        {
            var path = values.TryGetValue(routeKey, out var value) ? value?.ToString() ?? "" : "";
            var first = path.Split('/', 2)[0];
            if (Reserved.Contains(first, StringComparer.OrdinalIgnoreCase))
            {
                return false;
            }
            return first == "v" || !path[(path.LastIndexOf('/') + 1)..].Contains('.', StringComparison.Ordinal);
        }
    }
}
