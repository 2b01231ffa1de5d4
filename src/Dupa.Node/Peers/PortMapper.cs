using System.Globalization;
using System.Net;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>The port mapping as <c>dupa status</c> shows it.</summary>
public sealed record PortMappingState(string Method, string? External, DateTimeOffset? Renew, string? LastError);

/// <summary>
/// Opt-in port mapping (<c>Dupa__PortMapping=natpmp|upnp|auto</c>; docs/protocol.md, Finding peers): asks the
/// gateway to forward the peer port from outside, renews the mapping at half its lifetime, and retries a minute
/// after a failure. The external address is what <c>dupa peer invite</c> hands out.
/// </summary>
public sealed partial class PortMapper(NodeOptions options, TimeProvider time, ILogger<PortMapper> logger) : BackgroundService
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromHours(1);

    public PortMappingState? State { get; private set; }

    /// <summary>HOST:PORT where peers outside the local network reach this node, if a mapping holds.</summary>
    public string? ExternalAddress => State is { External: { } external, LastError: null } ? external : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var method = options.PortMapping?.ToLowerInvariant() ?? "none";
        if (method == "none" || options.PeerListen is null)
        {
            return;
        }
        var port = PeerEndpoints.PeerPort(options.PeerListen);
        while (!stoppingToken.IsCancellationRequested)
        {
            TimeSpan next;
            try
            {
                var mapping = await MapAsync(method, port, stoppingToken);
                next = mapping.Lifetime / 2;
                var external = $"{mapping.ExternalAddress}:{mapping.ExternalPort}";
                if (State?.External != external)
                {
                    LogMapped(logger, mapping.Protocol, external);
                }
                State = new PortMappingState(mapping.Protocol, external, time.GetUtcNow() + next, null);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested && e is IOException or System.Net.Sockets.SocketException or HttpRequestException
                or System.Xml.XmlException or FormatException or InvalidOperationException or OperationCanceledException)
            {
                // A gateway that answers slowly or not at all (an HTTP timeout is a cancellation) must not stop the node.
                next = TimeSpan.FromMinutes(1);
                State = new PortMappingState(method, State?.External, null, e.Message);
                LogFailed(logger, e.Message);
            }
            try
            {
                await Task.Delay(next, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task<PortMapping> MapAsync(string method, int port, CancellationToken cancellationToken)
    {
        if (method is "natpmp" or "auto")
        {
            try
            {
                return await NatPmp.MapTcpAsync(Gateway(), port, port, Lifetime, cancellationToken);
            }
            catch (IOException) when (method == "auto")
            {
                // No NAT-PMP here: try UPnP.
            }
        }
        if (method is "upnp" or "auto")
        {
            var ssdp = options.SsdpAddress is { } text ? IPEndPoint.Parse(text) : UpnpIgd.SsdpMulticast;
            return await UpnpIgd.MapTcpAsync(ssdp, port, port, Lifetime, cancellationToken);
        }
        throw new InvalidOperationException($"Dupa__PortMapping is '{method}'; it is none, natpmp, upnp or auto");
    }

    /// <summary>The NAT-PMP gateway: <c>Dupa__Gateway</c> (IP or IP:PORT), else the default route's gateway from /proc/net/route.</summary>
    private IPEndPoint Gateway()
    {
        if (options.Gateway is { } text)
        {
            return IPEndPoint.TryParse(text, out var endpoint) && endpoint.Port != 0 ? endpoint : new IPEndPoint(IPAddress.Parse(text), NatPmp.GatewayPort);
        }
        const string routes = "/proc/net/route";
        foreach (var line in File.Exists(routes) ? File.ReadLines(routes).Skip(1) : [])
        {
            var fields = line.Split('\t', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (fields.Length > 2 && fields[1] == "00000000" && uint.TryParse(fields[2], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var gateway) && gateway != 0)
            {
                // The kernel prints the address in host (little-endian) order.
                return new IPEndPoint(new IPAddress(gateway), NatPmp.GatewayPort);
            }
        }
        throw new IOException("no default gateway to ask for a port mapping; set Dupa__Gateway");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "port mapping ({Method}): peers outside reach this node at {External}")]
    private static partial void LogMapped(ILogger logger, string method, string external);

    [LoggerMessage(Level = LogLevel.Warning, Message = "port mapping failed: {Error}; trying again in a minute")]
    private static partial void LogFailed(ILogger logger, string error);
}
