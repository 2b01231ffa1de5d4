using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Api;

/// <summary>
/// The OpenAPI document at <c>/openapi/{documentName}.json</c>, made by ASP.NET Core's OpenAPI services in a
/// container of their own, built at the document's first request. Registered in the node's container
/// (<c>AddOpenApi</c>), they loaded MVC Core, the API explorer and Microsoft.OpenApi into every node at start, about
/// 2 MiB of an idle node that nobody asked for the document (bench/README.md, Idle node).
/// </summary>
/// <remarks>
/// The document's container holds the node's own registrations, so that the API explorer tells a handler's services
/// from its request parameters exactly as the node does, and shares the node's endpoints, environment, server and
/// logging; nothing else of the node is made in it. The framework's own handler (<c>MapOpenApi</c>) writes the
/// document, with the request's address as its server, as before.
/// </remarks>
public static class OpenApiEndpoints
{
    private const string Pattern = "/openapi/{documentName}.json";

    /// <summary>Maps the document; <paramref name="nodeServices"/> are the node's registrations, taken before its container was built.</summary>
    public static void Map(WebApplication app, IReadOnlyList<ServiceDescriptor> nodeServices)
    {
        var document = new Lazy<(ServiceProvider Services, RequestDelegate Write)>(() => Build(app.Services, nodeServices));
        app.MapGet(Pattern, async context =>
        {
            var (services, write) = document.Value;
            var nodeRequestServices = context.RequestServices;
            await using var scope = services.CreateAsyncScope();
            context.RequestServices = scope.ServiceProvider;
            try
            {
                await write(context);
            }
            finally
            {
                context.RequestServices = nodeRequestServices;
            }
        }).ExcludeFromDescription().AllowAnonymous();
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            if (document.IsValueCreated)
            {
                document.Value.Services.Dispose();
            }
        });
    }

    private static (ServiceProvider, RequestDelegate) Build(IServiceProvider node, IReadOnlyList<ServiceDescriptor> nodeServices)
    {
        IServiceCollection services = new ServiceCollection();
        foreach (var descriptor in nodeServices)
        {
            services.Add(descriptor);
        }
        // The node's live objects, not new ones (the last registration of a service is the one resolved).
        services.AddSingleton(node.GetRequiredService<EndpointDataSource>());
        services.AddSingleton(node.GetRequiredService<IHostEnvironment>());
        services.AddSingleton(node.GetRequiredService<IServer>());
        services.AddSingleton(node.GetRequiredService<ILoggerFactory>());
        services.AddOpenApi("v1", openApi => OpenApiExamples.Add(openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "D.U.P.A node API";
            document.Info.Description = "The REST API of a D.U.P.A node. Authenticate with 'Authorization: Bearer TOKEN' (a login access token or an API token). Errors are RFC 9457 problem+json with a stable 'code'.";
            return Task.CompletedTask;
        })));
        var provider = services.BuildServiceProvider();
        var routes = new Routes(provider);
        routes.MapOpenApi(Pattern);
        return (provider, routes.DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>().Single().RequestDelegate!);
    }

    /// <summary>Just enough of a route builder for <c>MapOpenApi</c> to make its handler in the document's container.</summary>
    private sealed class Routes(IServiceProvider services) : IEndpointRouteBuilder
    {
        public IServiceProvider ServiceProvider => services;

        public ICollection<EndpointDataSource> DataSources { get; } = [];

        public IApplicationBuilder CreateApplicationBuilder() => new ApplicationBuilder(services);
    }
}
