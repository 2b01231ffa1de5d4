using System.Diagnostics;
using Dupa.Cli.Tests.Support;
using Dupa.Testing;
using Xunit.Abstractions;

namespace Dupa.Cli.Tests;

public sealed class DurabilityTests(ITestOutputHelper output)
{
    /// <summary>
    /// kill -9 of a put at random moments: the vault must open and verify clean every time, and every file whose
    /// put had returned must come back intact.
    /// </summary>
    [Fact]
    public void Put_KilledAtRandomMoments_VaultVerifiesCleanAndAcknowledgedFilesSurvive()
    {
        using var vault = new CliVault();
        var random = new SeededRandom(0x5160);
        var acknowledged = new Dictionary<string, byte[]>();
        var bulk = Path.Combine(vault.Work, "bulk");
        for (var i = 0; i < 120; i++)
        {
            vault.WriteFile($"bulk/d{i % 7}/f{i}.bin", random.NextBytes(random.Next(1, 120_000)));
        }
        var killedMidway = 0;
        var kill = new RandomKill(random, 700);
        for (var trial = 0; trial < 20; trial++)
        {
            var content = random.NextBytes(random.Next(1, 50_000));
            var name = $"ack{trial}.bin";
            var put = vault.Run("put", vault.WriteFile(name, content), "--to", "/acked");
            Assert.True(put.ExitCode == 0, put.ToString());
            acknowledged["/acked/" + name] = content;

            // Touch some bulk files so each trial's put has work to do, then kill it part-way.
            for (var k = 0; k < 10; k++)
            {
                var i = random.Next(0, 120);
                File.WriteAllBytes(Path.Combine(bulk, $"d{i % 7}", $"f{i}.bin"), random.NextBytes(random.Next(1, 120_000)));
            }
            using var process = Process.Start(DupaProcess.StartInfo(["put", bulk, "--to", $"/bulk{trial % 3}"], vault.Environment, vault.Work))!;
            killedMidway += kill.PartWay(process) ? 1 : 0;

            var verify = vault.Run("verify");
            Assert.True(verify.ExitCode == 0, $"trial {trial}: {verify}");
            var restored = Path.Combine(vault.Work, $"restored{trial}");
            var get = vault.Run("get", "/acked", "--to", restored);
            Assert.True(get.ExitCode == 0, $"trial {trial}: {get}");
            foreach (var (path, expected) in acknowledged)
            {
                var file = Path.Combine(restored, path.TrimStart('/'));
                Assert.True(File.Exists(file) && expected.AsSpan().SequenceEqual(File.ReadAllBytes(file)), $"trial {trial}: {path} is missing or different");
            }
        }
        output.WriteLine($"{killedMidway} of 20 puts were killed before they finished");
        Assert.True(killedMidway >= 10, $"only {killedMidway} of 20 puts were still running when killed; the test did not exercise crashes");
    }
}
