using System.Diagnostics;
using Dupa.Testing;

namespace Dupa.Cli.Tests.Support;

/// <summary>
/// Kills a started <c>dupa</c> at a random moment within the time such a run takes on this machine, so the kills
/// land part-way whether the executable starts in 20 ms (native) or 300 ms (JIT). The span starts at a guess and
/// follows the length of each run that finishes before its kill; the wait is drawn from a quarter beyond the span,
/// so the span can grow again when runs get longer.
/// </summary>
public sealed class RandomKill(SeededRandom random, int guessMs)
{
    private int _spanMs = guessMs;

    /// <summary>True if the process was killed while running; false if it finished first, which it must do cleanly.</summary>
    public bool PartWay(Process process)
    {
        var watch = Stopwatch.StartNew();
        if (!process.WaitForExit(random.Next(0, _spanMs + _spanMs / 4 + 1)))
        {
            process.Kill();
            process.WaitForExit();
        }
        // 137 is 128 + SIGKILL: the kill landed. Anything else means the run ended on its own.
        if (process.ExitCode == 137)
        {
            return true;
        }
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dupa exited with {process.ExitCode} before it was killed");
        }
        _spanMs = Math.Max(2, (int)watch.ElapsedMilliseconds);
        return false;
    }
}
