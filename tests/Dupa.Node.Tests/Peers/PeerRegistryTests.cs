using System.Security.Cryptography;
using Dupa.Core.Crypto;
using Dupa.Node.Data;
using Dupa.Node.Peers;
using Dupa.Testing;

namespace Dupa.Node.Tests.Peers;

/// <summary>A peer's connection state, updated at once by heartbeats, incoming requests and replica reports.</summary>
public sealed class PeerRegistryTests : IDisposable
{
    private readonly TempDirectory _directory = new("dupa-peers-test-");
    private readonly NodeDatabase _database;
    private readonly PeerRegistry _registry;
    private readonly DeviceId _peer = new(RandomNumberGenerator.GetBytes(DeviceId.Size));

    public PeerRegistryTests()
    {
        _database = new NodeDatabase(_directory.Path);
        _registry = new PeerRegistry(_database, TimeProvider.System);
    }

    public void Dispose()
    {
        _database.Dispose();
        _directory.Dispose();
    }
    /// <summary>
    /// Updates that race lose nothing: each failure is counted and the last report is kept. (A compare-and-swap that
    /// was not retried dropped whichever update lost the race.)
    /// </summary>
    [Fact]
    public async Task UpdatesFromSeveralThreadsAtOnce_AreAllKept()
    {
        _registry.Pin(_peer, "peer", "127.0.0.1:1");
        const int Threads = 4, Each = 5_000;

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < Each; i++)
            {
                _registry.Failed(_peer, $"failure {t}.{i}");
                _registry.ReportedReplicas(_peer, [new ReplicaState("vault", "owner", i, null, null)]);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        var state = _registry.Get(_peer)!;
        Assert.Equal(Threads * Each, state.Failures);
        Assert.False(state.Connected);
        Assert.Equal(Each - 1, state.Replicas.Single().BytesBehind);
    }

    /// <summary>Each new place a peer is heard at is news and is kept, while heartbeats mark the same peer seen.</summary>
    [Fact]
    public async Task DiscoveredAddresses_AreKeptWhileThePeerIsMarkedSeen()
    {
        _registry.Pin(_peer, "peer", address: null);
        const int Each = 20_000;
        using var done = new CancellationTokenSource();

        var seen = Task.Factory.StartNew(() =>
        {
            while (!done.IsCancellationRequested)
            {
                _registry.Seen(_peer);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        var news = await Task.Factory.StartNew(() => Enumerable.Range(0, Each).Count(i => _registry.Discovered(_peer, $"192.0.2.1:{1000 + i}")),
            CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        await done.CancelAsync();
        await seen;

        Assert.Equal(Each, news);
        Assert.Equal($"192.0.2.1:{1000 + Each - 1}", _registry.Get(_peer)!.Discovered);
        Assert.False(_registry.Discovered(_peer, $"192.0.2.1:{1000 + Each - 1}"));
    }
}
