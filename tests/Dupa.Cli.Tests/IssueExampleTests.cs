using System.Diagnostics;
using System.Text.Json;
using Dupa.Cli.Tests.Support;
using Dupa.Testing;

namespace Dupa.Cli.Tests;

public sealed class IssueExampleTests
{
    /// <summary>The README's and the issue's example, run by bash exactly as written (default Argon2 cost included).</summary>
    [Fact]
    public async Task ReadmeExample_RunsAsWritten()
    {
        using var root = new TempDirectory();
        var home = root.Combine("home");
        var random = new SeededRandom(2026);
        Directory.CreateDirectory(Path.Combine(home, "Photos", "2024"));
        File.WriteAllBytes(Path.Combine(home, "Photos", "2024", "beach.jpg"), random.NextBytes(300_000));
        File.WriteAllBytes(Path.Combine(home, "Photos", "cat.png"), random.NextBytes(5_000));
        Directory.CreateDirectory(Path.Combine(home, "Photos", "empty"));
        var work = root.Combine("work");
        Directory.CreateDirectory(work);
        File.WriteAllText(Path.Combine(work, "notes.txt"), "buy milk\n");
        var vault = root.Combine("v");
        var restored = root.Combine("restored");

        var script = $"""
            set -euo pipefail
            export DUPA_VAULT={vault} DUPA_PASSPHRASE='correct horse'
            dupa init                       # prints the recovery key once
            dupa put ~/Photos               # stored as /Photos
            dupa put notes.txt --to /docs   # stored as /docs/notes.txt
            dupa ls -l /Photos
            dupa get /Photos --to {restored}    # writes {restored}/Photos/...
            dupa get /docs/notes.txt > notes.out
            dupa verify && dupa stats --json
            """;
        var info = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["HOME"] = home;
        info.Environment["PATH"] = Path.GetDirectoryName(DupaProcess.Executable) + ":" + Environment.GetEnvironmentVariable("PATH");
        info.Environment.Remove("DUPA_VAULT");
        info.Environment.Remove("DUPA_PASSPHRASE");
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(3)));
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{output}\n{await stderr}");

        Assert.Contains("Recovery key", output, StringComparison.Ordinal);
        Assert.Equal("buy milk\n", File.ReadAllText(Path.Combine(work, "notes.out")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(home, "Photos", "2024", "beach.jpg")), File.ReadAllBytes(Path.Combine(restored, "Photos", "2024", "beach.jpg")));
        Assert.True(Directory.Exists(Path.Combine(restored, "Photos", "empty")));
        Assert.Contains("2024/", output, StringComparison.Ordinal);
        Assert.Contains("cat.png", output, StringComparison.Ordinal);
        var json = output[output.LastIndexOf("\n{", StringComparison.Ordinal)..];
        using var stats = JsonDocument.Parse(json);
        Assert.Equal(3, stats.RootElement.GetProperty("files").GetInt32());
    }
}
