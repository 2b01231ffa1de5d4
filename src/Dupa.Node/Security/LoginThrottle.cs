namespace Dupa.Node.Security;

/// <summary>
/// Counts wrong passwords per account and per client address over a sliding minute. Once the limit is reached,
/// further attempts are refused before the password is hashed, so guessing costs the attacker time and the
/// node no CPU. Each new lockout of the same key doubles its length, up to an hour.
/// </summary>
public sealed class LoginThrottle(NodeOptions options, TimeProvider time)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan MaxLockout = TimeSpan.FromHours(1);
    private readonly Dictionary<string, State> _states = new(StringComparer.OrdinalIgnoreCase);
    private readonly Lock _gate = new();

    private sealed class State
    {
        public Queue<DateTimeOffset> Failures { get; } = new();
        public DateTimeOffset LockedUntil { get; set; }
        public int Lockouts { get; set; }
    }

    /// <summary>How long the caller must wait, or null when the attempt may go ahead.</summary>
    public TimeSpan? RetryAfter(string username, string address)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            var wait = new[] { Key("user", username), Key("ip", address) }
                .Select(k => _states.TryGetValue(k, out var s) ? s.LockedUntil - now : TimeSpan.Zero)
                .Max();
            return wait > TimeSpan.Zero ? wait : null;
        }
    }

    public void Failed(string username, string address)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            // An address may try a few accounts; an account gets the configured number of guesses.
            Count(Key("user", username), options.LoginFailuresPerMinute, now);
            Count(Key("ip", address), options.LoginFailuresPerMinute * 3, now);
        }
    }

    public void Succeeded(string username)
    {
        lock (_gate)
        {
            _states.Remove(Key("user", username));
        }
    }

    private void Count(string key, int limit, DateTimeOffset now)
    {
        if (!_states.TryGetValue(key, out var state))
        {
            _states[key] = state = new State();
        }
        state.Failures.Enqueue(now);
        while (state.Failures.Count > 0 && now - state.Failures.Peek() > Window)
        {
            state.Failures.Dequeue();
        }
        if (state.Failures.Count >= limit)
        {
            var lockout = TimeSpan.FromMinutes(Math.Pow(2, state.Lockouts));
            state.LockedUntil = now + (lockout > MaxLockout ? MaxLockout : lockout);
            state.Lockouts++;
            state.Failures.Clear();
        }
    }

    private static string Key(string kind, string value) => kind + ":" + value;
}
