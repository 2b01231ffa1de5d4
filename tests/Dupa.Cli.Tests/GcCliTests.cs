using System.Diagnostics;
using System.Text.Json;
using Dupa.Cli.Tests.Support;
using Dupa.Testing;
using Xunit.Abstractions;

namespace Dupa.Cli.Tests;

public sealed class GcCliTests(ITestOutputHelper output)
{
    /// <summary>
    /// kill -9 of gc at random moments, with new garbage before each trial: the vault verifies clean every time and
    /// every file still in it restores bit-identical.
    /// </summary>
    [Fact]
    public void Gc_KilledAtRandomMoments_VaultVerifiesCleanAndKeptFilesRestore()
    {
        using var vault = new CliVault();
        var random = new SeededRandom(0x6C);
        var kept = new Dictionary<string, byte[]>();
        var killedMidway = 0;
        var kill = new RandomKill(random, 400);
        for (var trial = 0; trial < 12; trial++)
        {
            // Two directories of fresh files; one is deleted and purged, so its chunks (spread over the same
            // packs as the other's) are garbage.
            foreach (var name in new[] { "keep", "drop" })
            {
                for (var i = 0; i < 16; i++)
                {
                    var content = random.NextBytes(random.Next(100_000, 400_000));
                    vault.WriteFile($"t{trial}/{name}/f{i}.bin", content);
                    if (name == "keep")
                    {
                        kept[$"/t{trial}/keep/f{i}.bin"] = content;
                    }
                }
            }
            Assert.Equal(0, vault.Run("put", Path.Combine(vault.Work, $"t{trial}")).ExitCode);
            Assert.Equal(0, vault.Run("rm", $"/t{trial}/drop").ExitCode);
            Assert.Equal(0, vault.Run("trash", "empty").ExitCode);

            using var gc = Process.Start(DupaProcess.StartInfo(["gc", "--max-unused", "0"], vault.Environment, vault.Work))!;
            killedMidway += kill.PartWay(gc) ? 1 : 0;

            var verify = vault.Run("verify");
            Assert.True(verify.ExitCode == 0, $"trial {trial}: {verify}");
        }
        var finish = vault.Run("gc");
        Assert.True(finish.ExitCode == 0, finish.ToString());
        var verifyAfter = vault.Run("verify");
        Assert.True(verifyAfter.ExitCode == 0 && !verifyAfter.Stdout.Contains("note:", StringComparison.Ordinal), verifyAfter.ToString());
        var restored = Path.Combine(vault.Work, "restored");
        Assert.Equal(0, vault.Run("get", "/", "--to", restored).ExitCode);
        foreach (var (path, expected) in kept)
        {
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(restored, path.TrimStart('/')))), path);
        }
        output.WriteLine($"{killedMidway} of 12 gc runs were killed before they finished");
        Assert.True(killedMidway >= 5, $"only {killedMidway} of 12 gc runs were still running when killed; the test did not exercise crashes");
    }

    /// <summary>A put started while gc runs loses nothing: one of them is refused whole (exit 7) while the other holds the vault.</summary>
    [Fact]
    public void Put_AlongsideGc_LosesNothing()
    {
        using var vault = new CliVault();
        var random = new SeededRandom(0x6D);
        for (var i = 0; i < 30; i++)
        {
            vault.WriteFile($"old/f{i}.bin", random.NextBytes(200_000));
        }
        Assert.Equal(0, vault.Run("put", Path.Combine(vault.Work, "old")).ExitCode);
        Assert.Equal(0, vault.Run("rm", "/old").ExitCode);
        Assert.Equal(0, vault.Run("trash", "empty").ExitCode);
        var content = random.NextBytes(300_000);
        var source = vault.WriteFile("new.bin", content);

        using var gc = Process.Start(DupaProcess.StartInfo(["gc", "--max-unused", "0"], vault.Environment, vault.Work))!;
        var refused = 0;
        DupaRun put;
        while ((put = vault.Run("put", source)).ExitCode == 7)
        {
            refused++;
            Assert.Contains("in use by another dupa process", put.Stderr, StringComparison.Ordinal);
            Thread.Sleep(20);
        }
        gc.WaitForExit();
        Assert.True(put.ExitCode == 0, put.ToString());
        // Whichever took the vault's write lock first ran; the other was refused whole and is run again.
        Assert.True(gc.ExitCode is 0 or 7, $"gc exit {gc.ExitCode}");
        var gcRefused = gc.ExitCode == 7;
        if (gcRefused)
        {
            Assert.Equal(0, vault.Run("gc").ExitCode);
        }
        output.WriteLine($"put was refused {refused} time(s) while gc held the vault; gc refused: {gcRefused}");

        Assert.Equal(0, vault.Run("verify").ExitCode);
        var get = vault.Run("get", "/new.bin", "--to", Path.Combine(vault.Work, "back"));
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(content, File.ReadAllBytes(Path.Combine(vault.Work, "back", "new.bin")));
    }

    [Fact]
    public void Workflow_PolicyForgetFindTagLogDiff_ThroughTheRealCli()
    {
        using var vault = new CliVault();
        vault.WriteFile("docs/plan.txt", "v1"u8.ToArray());
        vault.WriteFile("docs/photo.bin", [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]);
        Assert.Equal(0, vault.Run("put", Path.Combine(vault.Work, "docs")).ExitCode);
        var between = TimeProvider.System.GetUtcNow().ToString("O");
        Thread.Sleep(20);
        for (var v = 2; v <= 4; v++)
        {
            vault.WriteFile("docs/plan.txt", System.Text.Encoding.UTF8.GetBytes($"version {v}"));
            Assert.Equal(0, vault.Run("put", Path.Combine(vault.Work, "docs")).ExitCode);
        }

        Assert.Equal(0, vault.Run("tag", "add", "/docs/photo.bin", "holiday", "2023").ExitCode);
        var found = Json(vault.Run("find", "--type", "image", "--tag", "HOLIDAY", "--json"));
        Assert.Equal(1, found.GetProperty("total").GetInt32());
        Assert.Equal("image/png", found.GetProperty("hits")[0].GetProperty("mime").GetString());
        Assert.Equal(4, Json(vault.Run("find", "plan", "--history", "--json")).GetProperty("total").GetInt32());

        var diff = Json(vault.Run("diff", between, "--json"));
        Assert.Equal("changed", diff[0].GetProperty("kind").GetString());

        var listed = Json(vault.Run("ls", "/docs", "--json"));
        Assert.Equal(["photo.bin", "plan.txt"], listed.EnumerateArray().Select(e => e.GetProperty("name").GetString()).Order(StringComparer.Ordinal));
        Assert.All(listed.EnumerateArray(), e => Assert.Equal("file", e.GetProperty("type").GetString()));
        Assert.Equal([1, 2, 3, 4], Json(vault.Run("history", "/docs/plan.txt", "--json")).EnumerateArray().Select(v => v.GetProperty("version").GetInt32()));

        // policy set prints the policy alone; policy show adds the write-once locks.
        var set = Json(vault.Run("policy", "set", "--keep-last", "2", "--trash-days", "7", "--json"));
        Assert.Equal(7, set.GetProperty("trashDays").GetInt32());
        Assert.False(set.TryGetProperty("locks", out _));
        var show = Json(vault.Run("policy", "show", "--json"));
        Assert.Equal(7, show.GetProperty("trashDays").GetInt32());
        Assert.Equal(JsonValueKind.Array, show.GetProperty("locks").ValueKind);
        var planned = Json(vault.Run("forget", "--dry-run", "--json"));
        Assert.True(planned.GetProperty("dryRun").GetBoolean());
        Assert.Contains(planned.GetProperty("versions").EnumerateArray(), v => !v.GetProperty("keep").GetBoolean());
        var dry = vault.Run("forget", "--dry-run");
        Assert.Contains("would drop /docs/plan.txt", dry.Stdout, StringComparison.Ordinal);
        Assert.Equal(4, Json(vault.Run("find", "plan", "--history", "--json")).GetProperty("total").GetInt32());
        Assert.Equal(0, vault.Run("forget").ExitCode);
        Assert.Equal(2, Json(vault.Run("find", "plan", "--history", "--json")).GetProperty("total").GetInt32());
        var gc = Json(vault.Run("gc", "--json"));
        Assert.True(gc.GetProperty("bytesFreed").GetInt64() >= 0);

        var log = Json(vault.Run("log", "--path", "/docs/photo.bin", "--json"));
        Assert.Equal("tag", log[0].GetProperty("action").GetString());
        Assert.Equal(2, log.GetArrayLength());

        Assert.Equal("/docs", Json(vault.Run("lock", "/docs", "--until", TimeProvider.System.GetUtcNow().AddDays(1).ToString("O"), "--json")).GetProperty("path").GetString());
        var refused = vault.Run("rm", "/docs/plan.txt");
        Assert.Equal(10, refused.ExitCode);
        Assert.Contains("write-once lock", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(2, vault.Run("find", "--min-size", "lots").ExitCode);
    }

    private static JsonElement Json(DupaRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        return JsonDocument.Parse(run.Stdout).RootElement;
    }
}
