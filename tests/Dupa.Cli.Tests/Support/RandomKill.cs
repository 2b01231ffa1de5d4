using System.Diagnostics;
using Dupa.Testing;

namespace Dupa.Cli.Tests.Support;

/// <summary>
/// Kills a started <c>dupa</c> at a random moment within the time such a run takes on this machine. The span
/// starts at a guess and becomes a run's measured length whenever one finishes before its kill, so the kills
/// land part-way whether the executable starts in 20 ms (native) or 300 ms (JIT).
/// </summary>
public sealed class RandomKill(SeededRandom random, int guessMs)
{
    private int _spanMs = guessMs;

    /// <summary>True if the process was killed while running; false if it finished first.</summary>
    public bool PartWay(Process process)
    {
        var watch = Stopwatch.StartNew();
        if (process.WaitForExit(random.Next(0, _spanMs)))
        {
            _spanMs = Math.Max(2, (int)watch.ElapsedMilliseconds);
            return false;
        }
        process.Kill();
        process.WaitForExit();
        return true;
    }
}
