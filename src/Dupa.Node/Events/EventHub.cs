using System.Threading.Channels;

namespace Dupa.Node.Events;

/// <summary>Something a user should see at once: a file changed in one of their vaults, a job moved on.</summary>
public sealed record NodeEvent(string Type, string? Vault, string? Path, DateTimeOffset At);

/// <summary>
/// Fans events out to each user's open WebSocket connections. Each connection has a bounded queue; a client
/// too slow to keep up loses its oldest events rather than holding memory.
/// </summary>
public sealed class EventHub
{
    private readonly Dictionary<string, List<Channel<NodeEvent>>> _subscribers = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Channel<NodeEvent> Subscribe(string userId)
    {
        var channel = Channel.CreateBounded<NodeEvent>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        lock (_gate)
        {
            if (!_subscribers.TryGetValue(userId, out var list))
            {
                _subscribers[userId] = list = [];
            }
            list.Add(channel);
        }
        return channel;
    }

    public void Unsubscribe(string userId, Channel<NodeEvent> channel)
    {
        lock (_gate)
        {
            if (_subscribers.TryGetValue(userId, out var list) && list.Remove(channel) && list.Count == 0)
            {
                _subscribers.Remove(userId);
            }
        }
        channel.Writer.TryComplete();
    }

    /// <summary>Every event, for node-wide listeners (peers push vault changes to their replicas).</summary>
    public event Action<NodeEvent>? Published;

    /// <summary>One event for several users (everyone a vault is shared with), announced to node-wide listeners once.</summary>
    public void PublishTo(IEnumerable<string> userIds, NodeEvent nodeEvent)
    {
        Published?.Invoke(nodeEvent);
        lock (_gate)
        {
            foreach (var userId in userIds.Distinct(StringComparer.Ordinal))
            {
                if (_subscribers.TryGetValue(userId, out var list))
                {
                    foreach (var channel in list)
                    {
                        channel.Writer.TryWrite(nodeEvent);
                    }
                }
            }
        }
    }

    public void Publish(string userId, NodeEvent nodeEvent)
    {
        Published?.Invoke(nodeEvent);
        lock (_gate)
        {
            if (_subscribers.TryGetValue(userId, out var list))
            {
                foreach (var channel in list)
                {
                    channel.Writer.TryWrite(nodeEvent);
                }
            }
        }
    }
}
