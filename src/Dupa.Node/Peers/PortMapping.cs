using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security;
using System.Text;
using System.Xml.Linq;

namespace Dupa.Node.Peers;

/// <summary>A port mapping a gateway granted: where peers outside can reach this node, and until when.</summary>
public sealed record PortMapping(string Protocol, IPAddress ExternalAddress, int ExternalPort, TimeSpan Lifetime);

/// <summary>
/// A small NAT-PMP client (RFC 6886), written by hand because no library for it restores here (docs/protocol.md,
/// Finding peers): the gateway's external address, then a TCP mapping, each request retried with doubling
/// timeouts from 250 ms as the RFC says (here at most four tries, about 4 s).
/// </summary>
public static class NatPmp
{
    public const int GatewayPort = 5351;

    public static async Task<PortMapping> MapTcpAsync(IPEndPoint gateway, int internalPort, int externalPort, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        using var socket = new UdpClient(gateway.AddressFamily);
        socket.Connect(gateway);
        var address = await ExchangeAsync(socket, [0, 0], 12, 128, cancellationToken);
        var external = new IPAddress(address.AsSpan(8, 4));

        var request = new byte[12];
        request[1] = 2; // map TCP
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(4), (ushort)internalPort);
        BinaryPrimitives.WriteUInt16BigEndian(request.AsSpan(6), (ushort)externalPort);
        BinaryPrimitives.WriteUInt32BigEndian(request.AsSpan(8), (uint)lifetime.TotalSeconds);
        var mapped = await ExchangeAsync(socket, request, 16, 130, cancellationToken);
        if (BinaryPrimitives.ReadUInt16BigEndian(mapped.AsSpan(8)) != internalPort)
        {
            throw new IOException("NAT-PMP: the gateway answered for another internal port");
        }
        return new PortMapping("NAT-PMP", external, BinaryPrimitives.ReadUInt16BigEndian(mapped.AsSpan(10)), TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt32BigEndian(mapped.AsSpan(12))));
    }

    private static async Task<byte[]> ExchangeAsync(UdpClient socket, byte[] request, int length, byte opcode, CancellationToken cancellationToken)
    {
        var wait = TimeSpan.FromMilliseconds(250);
        for (var attempt = 0; attempt < 4; attempt++, wait *= 2)
        {
            await socket.SendAsync(request, cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(wait);
            try
            {
                while (true)
                {
                    var answer = (await socket.ReceiveAsync(timeout.Token)).Buffer;
                    if (answer.Length < length || answer[0] != 0 || answer[1] != opcode)
                    {
                        continue; // not the answer to this request
                    }
                    var result = BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(2));
                    return result == 0 ? answer : throw new IOException($"NAT-PMP: the gateway refused ({ResultText(result)})");
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // No answer in time: ask again, waiting twice as long.
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionRefused)
            {
                throw new IOException("NAT-PMP: nothing answers on the gateway's port 5351", e);
            }
        }
        throw new IOException("NAT-PMP: the gateway did not answer");
    }

    private static string ResultText(int code) => code switch
    {
        1 => "unsupported version",
        2 => "not authorized or refused",
        3 => "network failure",
        4 => "out of resources",
        5 => "unsupported opcode",
        _ => $"result {code}",
    };
}

/// <summary>
/// A small UPnP-IGD client (UPnP Device Architecture 1.0, WANIPConnection:1 and WANPPPConnection:1), written by
/// hand for the same reason: SSDP search for a gateway, its description, then the SOAP actions
/// GetExternalIPAddress and AddPortMapping.
/// </summary>
public static class UpnpIgd
{
    public static readonly IPEndPoint SsdpMulticast = new(IPAddress.Parse("239.255.255.250"), 1900);

    private static readonly string[] ServiceTypes = ["urn:schemas-upnp-org:service:WANIPConnection:1", "urn:schemas-upnp-org:service:WANPPPConnection:1"];

    public static async Task<PortMapping> MapTcpAsync(IPEndPoint ssdp, int internalPort, int externalPort, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var (location, gateway) = await DiscoverAsync(ssdp, cancellationToken);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10), MaxResponseContentBufferSize = MaxDocument };
        var description = ParseXml(await http.GetStringAsync(location, cancellationToken));
        var (serviceType, control) = description.Descendants().Where(e => e.Name.LocalName == "service")
            .Select(e => (Type: Child(e, "serviceType"), Control: Child(e, "controlURL")))
            .FirstOrDefault(s => ServiceTypes.Contains(s.Type) && s.Control is not null);
        if (serviceType is null || control is null)
        {
            throw new IOException("UPnP: the gateway offers no WAN connection service");
        }
        var controlUrl = new Uri(location, control);
        // Only the gateway that answered, and only its own description's host: no request goes anywhere else.
        if (!Equals(IPAddress.Parse(location.Host), gateway) || controlUrl.Scheme != Uri.UriSchemeHttp || controlUrl.Authority != location.Authority)
        {
            throw new IOException("UPnP: the gateway's description points elsewhere");
        }
        var internalClient = LocalAddressTowards(new IPEndPoint(IPAddress.Parse(controlUrl.Host), controlUrl.Port));
        var externalAnswer = await SoapAsync(http, controlUrl, serviceType, "GetExternalIPAddress", [], cancellationToken);
        var external = IPAddress.Parse(externalAnswer.Descendants().First(e => e.Name.LocalName == "NewExternalIPAddress").Value.Trim());
        await SoapAsync(http, controlUrl, serviceType, "AddPortMapping",
        [
            ("NewRemoteHost", ""), ("NewExternalPort", externalPort.ToString(CultureInfo.InvariantCulture)), ("NewProtocol", "TCP"),
            ("NewInternalPort", internalPort.ToString(CultureInfo.InvariantCulture)), ("NewInternalClient", internalClient.ToString()), ("NewEnabled", "1"),
            ("NewPortMappingDescription", "dupa peers"), ("NewLeaseDuration", ((int)lifetime.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
        ], cancellationToken);
        return new PortMapping("UPnP", external, externalPort, lifetime);
    }

    /// <summary>Descriptions and SOAP answers are a few KiB; anything larger is not a gateway's.</summary>
    private const int MaxDocument = 64 * 1024;

    /// <summary>XML from the network, with DTDs refused (no entity expansion) and no external resolution.</summary>
    private static XDocument ParseXml(string text)
    {
        using var reader = System.Xml.XmlReader.Create(new StringReader(text), new System.Xml.XmlReaderSettings
        {
            DtdProcessing = System.Xml.DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = MaxDocument,
        });
        return XDocument.Load(reader);
    }

    /// <summary>
    /// The LOCATION of the first gateway that answers an SSDP search within 3 seconds, and who answered: the
    /// description must be on that host (by IP), so another machine on the network cannot point the node elsewhere.
    /// </summary>
    private static async Task<(Uri Location, IPAddress Gateway)> DiscoverAsync(IPEndPoint ssdp, CancellationToken cancellationToken)
    {
        using var socket = new UdpClient(AddressFamily.InterNetwork);
        var search = Encoding.ASCII.GetBytes(
            "M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: \"ssdp:discover\"\r\nMX: 2\r\nST: urn:schemas-upnp-org:device:InternetGatewayDevice:1\r\n\r\n");
        await socket.SendAsync(search, ssdp, cancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            while (true)
            {
                var received = await socket.ReceiveAsync(timeout.Token);
                var answer = Encoding.ASCII.GetString(received.Buffer);
                var location = answer.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals("LOCATION", StringComparison.OrdinalIgnoreCase))
                    .Select(p => p[1].Trim()).FirstOrDefault();
                if (answer.StartsWith("HTTP/1.1 200", StringComparison.Ordinal) && Uri.TryCreate(location, UriKind.Absolute, out var uri) && uri.Scheme == Uri.UriSchemeHttp
                    && IPAddress.TryParse(uri.Host, out var host) && host.Equals(received.RemoteEndPoint.Address))
                {
                    return (uri, host);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new IOException("UPnP: no gateway answered the search");
        }
    }

    private static async Task<XDocument> SoapAsync(HttpClient http, Uri control, string serviceType, string action, (string Name, string Value)[] arguments, CancellationToken cancellationToken)
    {
        var body = new StringBuilder()
            .Append("<?xml version=\"1.0\"?><s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/envelope/\" s:encodingStyle=\"http://schemas.xmlsoap.org/soap/encoding/\"><s:Body>")
            .Append(CultureInfo.InvariantCulture, $"<u:{action} xmlns:u=\"{serviceType}\">");
        foreach (var (name, value) in arguments)
        {
            body.Append(CultureInfo.InvariantCulture, $"<{name}>{SecurityElement.Escape(value)}</{name}>");
        }
        body.Append(CultureInfo.InvariantCulture, $"</u:{action}></s:Body></s:Envelope>");
        using var request = new HttpRequestMessage(HttpMethod.Post, control) { Content = new StringContent(body.ToString(), Encoding.UTF8, "text/xml") };
        request.Headers.TryAddWithoutValidation("SOAPAction", $"\"{serviceType}#{action}\"");
        using var response = await http.SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            var error = ParseXml(text).Descendants().FirstOrDefault(e => e.Name.LocalName == "errorDescription")?.Value;
            throw new IOException($"UPnP: {action} refused ({(int)response.StatusCode}{(error is null ? "" : ": " + error)})");
        }
        return ParseXml(text);
    }

    private static string? Child(XElement element, string name) => element.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value.Trim();

    /// <summary>This machine's address on the interface that reaches <paramref name="target"/> (no packet is sent).</summary>
    public static IPAddress LocalAddressTowards(IPEndPoint target)
    {
        using var probe = new Socket(target.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        probe.Connect(target);
        return ((IPEndPoint)probe.LocalEndPoint!).Address;
    }
}
