namespace Dupa.Testing;

/// <summary>
/// A clock that moves only when a test says so. Microsoft's FakeTimeProvider is not served by the registry here;
/// this covers what the engine uses (GetUtcNow) and can be swapped for it later.
/// </summary>
public sealed class FakeTimeProvider : TimeProvider
{
    private DateTimeOffset _now;
    private readonly Lock _gate = new();

    public FakeTimeProvider(DateTimeOffset start) => _now = start;

    public override DateTimeOffset GetUtcNow()
    {
        lock (_gate)
        {
            return _now;
        }
    }

    public void Advance(TimeSpan by)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(by, TimeSpan.Zero);
        lock (_gate)
        {
            _now += by;
        }
    }
}
