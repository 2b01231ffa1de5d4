using Dupa.Testing;

namespace Dupa.Cli.Tests.Support;

/// <summary>A temporary directory with a vault made by <c>dupa init</c> at the cheapest Argon2 cost, and helpers to run dupa on it.</summary>
public sealed class CliVault : IDisposable
{
    public const string Passphrase = "correct horse";

    private readonly TempDirectory _root = new("dupa-cli-test-");

    public CliVault(bool init = true, string? vaultDirectory = null)
    {
        VaultDirectory = vaultDirectory ?? _root.Combine("vault");
        Work = _root.Combine("work");
        Directory.CreateDirectory(Work);
        if (init)
        {
            var run = Run("init", "--kdf-iterations", "1", "--kdf-memory", "1", "--chunk-avg", "16", "--pack-size", "1");
            if (run.ExitCode != 0)
            {
                throw new InvalidOperationException("dupa init failed: " + run);
            }
            RecoveryKey = run.Stdout.Split('\n').Select(l => l.Trim()).First(l => l.Length == 63 && l.Count(c => c == '-') == 7);
        }
    }

    public string VaultDirectory { get; }

    /// <summary>A scratch directory for sources and restores.</summary>
    public string Work { get; }

    public string RecoveryKey { get; } = "";

    public Dictionary<string, string?> Environment => new() { ["DUPA_VAULT"] = VaultDirectory, ["DUPA_PASSPHRASE"] = Passphrase };

    public DupaRun Run(params string[] args) => DupaProcess.Run(args, Environment, Work);

    public DupaRun RunWith(IDictionary<string, string?> environment, params string[] args) => DupaProcess.Run(args, environment, Work);

    public string WriteFile(string relative, byte[] content)
    {
        var path = Path.Combine(Work, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    /// <summary>SHA-256 of every file of the vault that a command could change (not the lock or SQLite's scratch files).</summary>
    public Dictionary<string, string> Snapshot() =>
        Directory.EnumerateFiles(VaultDirectory, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith("lock", StringComparison.Ordinal) && !f.EndsWith("-shm", StringComparison.Ordinal) && !f.EndsWith("-wal", StringComparison.Ordinal) && !f.EndsWith("index.db", StringComparison.Ordinal))
            .ToDictionary(f => f, f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));

    public void Dispose() => _root.Dispose();
}
