using System.Security.Cryptography;
using Dupa.Core.Crypto;
using Dupa.Node.Data;
using Dupa.Node.Peers;
using Dupa.Testing;

namespace Dupa.Node.Tests.Peers;

/// <summary>A peer's connection state, updated at once by heartbeats, incoming requests and replica reports.</summary>
public sealed class PeerRegistryTests
{
    /// <summary>
    /// Updates that race lose nothing: each failure is counted and the last report is kept. (A compare-and-swap that
    /// was not retried dropped whichever update lost the race.)
    /// </summary>
    [Fact]
    public async Task UpdatesFromSeveralThreadsAtOnce_AreAllKept()
    {
        using var directory = new TempDirectory("dupa-peers-test-");
        using var database = new NodeDatabase(directory.Path);
        var registry = new PeerRegistry(database, TimeProvider.System);
        var peer = new DeviceId(RandomNumberGenerator.GetBytes(DeviceId.Size));
        registry.Pin(peer, "peer", "127.0.0.1:1");
        const int Threads = 4, Each = 5_000;

        await Task.WhenAll(Enumerable.Range(0, Threads).Select(t => Task.Factory.StartNew(() =>
        {
            for (var i = 0; i < Each; i++)
            {
                registry.Failed(peer, $"failure {t}.{i}");
                registry.ReportedReplicas(peer, [new ReplicaState("vault", "owner", i, null, null)]);
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

        var state = registry.Get(peer)!;
        Assert.Equal(Threads * Each, state.Failures);
        Assert.False(state.Connected);
        Assert.Equal(Each - 1, state.Replicas.Single().BytesBehind);
    }
}
