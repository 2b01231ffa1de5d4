using System.Diagnostics;
using System.Text;

namespace Dupa.Cli.Tests.Support;

public sealed record DupaRun(int ExitCode, string Stdout, string Stderr, byte[] StdoutBytes)
{
    public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
}

/// <summary>
/// Runs the real <c>dupa</c> executable as a child process: the one built beside the tests, or a published one
/// named by <c>$DUPA_TEST_EXECUTABLE</c> (how .ci/run tests the native executable as it ships).
/// </summary>
public static class DupaProcess
{
    public static string Executable =>
        Environment.GetEnvironmentVariable("DUPA_TEST_EXECUTABLE") is { Length: > 0 } published
            ? Path.GetFullPath(published)
            : Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "dupa.exe" : "dupa");

    public static ProcessStartInfo StartInfo(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        // A clean environment for what dupa reads, so the developer's own settings never leak into a test.
        foreach (var name in new[] { "DUPA_VAULT", "DUPA_PASSPHRASE", "DUPA_NEW_PASSPHRASE", "DUPA_RECOVERY_KEY" })
        {
            info.Environment.Remove(name);
        }
        foreach (var (key, value) in environment ?? new Dictionary<string, string?>())
        {
            info.Environment[key] = value;
        }
        return info;
    }

    public static DupaRun Run(IEnumerable<string> args, IDictionary<string, string?>? environment = null, string? workingDirectory = null, TimeSpan? timeout = null)
    {
        using var process = Process.Start(StartInfo(args, environment, workingDirectory))!;
        process.StandardInput.Close();
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout ?? TimeSpan.FromMinutes(3)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("dupa " + string.Join(' ', args) + " hung");
        }
        copy.GetAwaiter().GetResult();
        var bytes = stdout.ToArray();
        return new DupaRun(process.ExitCode, Encoding.UTF8.GetString(bytes), stderr.GetAwaiter().GetResult(), bytes);
    }
}
