using System.Net;
using System.Net.Sockets;
using System.Text;
using Dupa.Node.Peers;

namespace Dupa.Node.Tests.Peers;

/// <summary>The blind two-way copy a relay and a listening node run for each session (docs/protocol.md, Relaying).</summary>
public sealed class SpliceTests
{
    [Fact]
    public async Task RunAsync_CopiesBothWays_AndEndsWhenOneSideCloses()
    {
        using var left = await SocketPair.OpenAsync();
        using var right = await SocketPair.OpenAsync();
        var splice = Splice.RunAsync(left.Inner, right.Inner, Limits(long.MaxValue, TimeSpan.FromMinutes(2)), CancellationToken.None);

        await left.Outer.WriteAsync("hello"u8.ToArray());
        Assert.Equal("hello", await ReadAsync(right.Outer, 5));
        await right.Outer.WriteAsync("back"u8.ToArray());
        Assert.Equal("back", await ReadAsync(left.Outer, 4));
        left.Outer.Socket.Shutdown(SocketShutdown.Send);

        var result = await splice.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal((5, 4), (result.Forward, result.Backward));
        Assert.Equal("the first side closed", result.Ended);
    }

    [Fact]
    public async Task RunAsync_StopsAtTheByteLimit_CountingBothWays()
    {
        using var left = await SocketPair.OpenAsync();
        using var right = await SocketPair.OpenAsync();
        var splice = Splice.RunAsync(left.Inner, right.Inner, Limits(10, TimeSpan.FromMinutes(2)), CancellationToken.None);

        await left.Outer.WriteAsync(new byte[6]);
        Assert.Equal(6, (await ReadAsync(right.Outer, 6)).Length);
        await right.Outer.WriteAsync(new byte[6]);

        var result = await splice.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("limit of 10 bytes", result.Ended, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunAsync_EndsASessionWithNoByteEitherWay()
    {
        using var left = await SocketPair.OpenAsync();
        using var right = await SocketPair.OpenAsync();
        var result = await Splice.RunAsync(left.Inner, right.Inner, Limits(long.MaxValue, TimeSpan.FromMilliseconds(300)), CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("no byte either way", result.Ended, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"session\":\"00112233445566778899aabbccddeeff\",\"from\":\"" + Hex64 + "\"}", true)]
    [InlineData("{\"session\":\"00112233445566778899AABBCCDDEEFF\",\"from\":\"" + Hex64 + "\"}", false)]
    [InlineData("{\"session\":\"../../etc\",\"from\":\"" + Hex64 + "\"}", false)]
    [InlineData("{\"session\":\"00112233445566778899aabbccddeeff\",\"from\":\"someone\"}", false)]
    [InlineData("{\"session\":\"00112233445566778899aabbccddeeff\"}", false)]
    [InlineData("not json", false)]
    [InlineData("[]", false)]
    public void TryParse_AcceptsOnlyTheOffersShape(string json, bool valid) =>
        Assert.Equal(valid, RelayListener.TryParse(Encoding.UTF8.GetBytes(json), out _));

    private const string Hex64 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static SpliceLimits Limits(long bytes, TimeSpan idle) => new(bytes, idle, null, TimeProvider.System);

    private static async Task<string> ReadAsync(NetworkStream stream, int count)
    {
        var buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        return Encoding.UTF8.GetString(buffer);
    }

    /// <summary>Two ends of one loopback TCP connection: the splice holds the inner end, the test the outer.</summary>
    private sealed class SocketPair(NetworkStream outer, NetworkStream inner) : IDisposable
    {
        public NetworkStream Outer { get; } = outer;

        public NetworkStream Inner { get; } = inner;

        public static async Task<SocketPair> OpenAsync()
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, ((IPEndPoint)listener.LocalEndpoint).Port);
            var accepted = await listener.AcceptSocketAsync();
            return new SocketPair(client.GetStream(), new NetworkStream(accepted, ownsSocket: true));
        }

        public void Dispose()
        {
            Outer.Dispose();
            Inner.Dispose();
        }
    }
}
