using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Dupa.Core.Crypto;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Dupa.Node.Peers;

/// <summary>One announcement: who is here, and on which port it takes peer connections.</summary>
public sealed record DiscoveryAnnouncement(string Magic, string DeviceId, int Port)
{
    public const string CurrentMagic = "dupa-discovery/1";
}

/// <summary>
/// Local discovery (docs/protocol.md, Finding peers): every <see cref="NodeOptions.DiscoveryIntervalSeconds"/> the
/// node announces its device ID and peer port by UDP broadcast, and listens for the announcements of others. A
/// pinned peer without a static address is dialled where it was heard. An announcement only says where to dial:
/// the TLS handshake still checks the pinned key, so a forged one costs at most a failed dial. Off with
/// <c>Dupa__LocalDiscovery=false</c>; only runs when the node listens for peers.
/// </summary>
public sealed partial class LocalDiscovery(NodeOptions options, NodeIdentity identity, PeerRegistry peers, PeerConnector connector, ILogger<LocalDiscovery> logger)
    : BackgroundService
{
    /// <summary>Announcements are small; anything larger is not one.</summary>
    private const int MaxAnnouncement = 512;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.LocalDiscovery || options.PeerListen is null)
        {
            return;
        }
        using var socket = new UdpClient(AddressFamily.InterNetwork);
        socket.Client.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        socket.EnableBroadcast = true;
        try
        {
            socket.Client.Bind(new IPEndPoint(IPAddress.Any, options.DiscoveryPort));
        }
        catch (SocketException e)
        {
            LogCannotListen(logger, options.DiscoveryPort, e.Message);
            return;
        }
        var listening = ListenAsync(socket, stoppingToken);
        try
        {
            var announcement = Announcement(identity.Id.Hex, PeerEndpoints.PeerPort(options.PeerListen));
            while (!stoppingToken.IsCancellationRequested)
            {
                foreach (var target in Targets())
                {
                    try
                    {
                        await socket.SendAsync(announcement, target, stoppingToken);
                    }
                    catch (SocketException e)
                    {
                        // No route for broadcasts (a machine with loopback only): nothing to announce to.
                        LogCannotAnnounce(logger, target, e.Message);
                    }
                }
                await Task.Delay(TimeSpan.FromSeconds(Math.Max(1, options.DiscoveryIntervalSeconds)), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // The node is stopping.
        }
        await listening;
    }

    /// <summary>Where announcements go: the broadcast address on the discovery port, or the configured targets.</summary>
    private IEnumerable<IPEndPoint> Targets()
    {
        if (options.DiscoveryTargets is not { Length: > 0 } targets)
        {
            yield return new IPEndPoint(IPAddress.Broadcast, options.DiscoveryPort);
            yield break;
        }
        foreach (var target in targets.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (IPEndPoint.TryParse(target, out var endpoint))
            {
                yield return endpoint;
            }
        }
    }

    private async Task ListenAsync(UdpClient socket, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            UdpReceiveResult received;
            try
            {
                received = await socket.ReceiveAsync(stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            catch (SocketException)
            {
                continue;
            }
            if (Parse(received.Buffer) is not { } announcement || announcement.DeviceId == identity.Id.Hex)
            {
                continue;
            }
            var address = $"{received.RemoteEndPoint.Address}:{announcement.Port}";
            if (peers.Discovered(DeviceId.FromHex(announcement.DeviceId), address))
            {
                LogDiscovered(logger, announcement.DeviceId[..12], address);
                connector.Wake();
            }
        }
    }

    /// <summary>This node's announcement, with the names docs/protocol.md gives (<c>magic</c>, <c>deviceId</c>, <c>port</c>).</summary>
    public static byte[] Announcement(string deviceHex, int port) =>
        JsonSerializer.SerializeToUtf8Bytes(new DiscoveryAnnouncement(DiscoveryAnnouncement.CurrentMagic, deviceHex, port), NodeJson.Default.DiscoveryAnnouncement);

    /// <summary>An announcement, or null for anything else (wrong magic, malformed, too large, a bad ID or port).</summary>
    public static DiscoveryAnnouncement? Parse(ReadOnlySpan<byte> datagram)
    {
        if (datagram.Length is 0 or > MaxAnnouncement)
        {
            return null;
        }
        try
        {
            var announcement = JsonSerializer.Deserialize(datagram, NodeJson.Default.DiscoveryAnnouncement);
            return announcement is { Magic: DiscoveryAnnouncement.CurrentMagic, Port: > 0 and <= 65535, DeviceId: { Length: 64 } id } && id.All(char.IsAsciiHexDigitLower)
                ? announcement
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "local discovery: peer {Peer} is at {Address}")]
    private static partial void LogDiscovered(ILogger logger, string peer, string address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "local discovery is off: cannot listen on UDP port {Port}: {Error}")]
    private static partial void LogCannotListen(ILogger logger, int port, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "local discovery: cannot announce to {Target}: {Error}")]
    private static partial void LogCannotAnnounce(ILogger logger, IPEndPoint target, string error);
}
