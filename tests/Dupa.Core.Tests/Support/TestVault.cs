using Dupa.Core.Chunking;
using Dupa.Core.Crypto;
using Dupa.Core.Files;
using Dupa.Core.Index;
using Dupa.Core.Vaults;
using Dupa.Testing;
using Microsoft.Data.Sqlite;

namespace Dupa.Core.Tests.Support;

/// <summary>
/// A cheap vault for tests: Argon2id at its minimum cost, small chunks (1/4/16 KiB) so boundaries are exercised
/// on small files, 1 MiB packs so several packs appear. Real format, real disk, in a temporary directory.
/// </summary>
public sealed class TestVault : IDisposable
{
    public const string Passphrase = "correct horse";

    public static readonly VaultCreateOptions CheapOptions = new()
    {
        Kdf = new Argon2Parameters(1, 8),
        Chunker = new ChunkerParameters(1024, 4096, 16384),
        PackSize = 1024 * 1024,
    };

    private readonly TempDirectory _root = new("dupa-vault-test-");

    public TestVault(VaultCreateOptions? options = null, TimeProvider? time = null)
    {
        Directory = _root.Combine("vault");
        Source = _root.Combine("source");
        Restore = _root.Combine("restore");
        System.IO.Directory.CreateDirectory(Source);
        Time = time ?? TimeProvider.System;
        Init = VaultInit.Create(Directory, Passphrase, options ?? CheapOptions, Time);
    }

    public string Directory { get; }

    /// <summary>A scratch directory for source files.</summary>
    public string Source { get; }

    /// <summary>A scratch directory to restore into.</summary>
    public string Restore { get; }

    public TimeProvider Time { get; }

    public VaultInitResult Init { get; }

    public Vault Open(bool writable = false, bool tolerateDamage = false, int checkpointInterval = 1000) =>
        Vault.Open(Directory, VaultSecret.Passphrase(Passphrase), new VaultOpenOptions { Writable = writable, TolerateDamage = tolerateDamage, Time = Time, CheckpointInterval = checkpointInterval });

    /// <summary>The vault's index opened behind the vault's back, to damage it or make its writes fail.</summary>
    public SqliteConnection OpenIndex()
    {
        var connection = new SqliteConnection(SqliteConnectionStrings.For(Path.Combine(Directory, VaultIndex.FileName), SqliteOpenMode.ReadWrite));
        connection.Open();
        return connection;
    }

    /// <summary>Writes a source file under <see cref="Source"/> and returns its full path.</summary>
    public string WriteSource(string relative, byte[] content)
    {
        var path = Path.Combine(Source, relative);
        System.IO.Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, content);
        return path;
    }

    public PutResult Put(string source, string to = "/", PutOptions? options = null)
    {
        using var vault = Open(writable: true);
        return new FileImporter(vault, options).ImportAsync([source], to).GetAwaiter().GetResult();
    }

    public byte[] ReadFile(string vaultPath, int? version = null)
    {
        using var vault = Open();
        var node = vault.State.Get(vaultPath) ?? throw new FileNotFoundException(vaultPath);
        var chosen = version is { } v ? node.Versions[v - 1] : node.Current;
        using var stream = vault.OpenRead(chosen);
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    public VerifyReport Verify(bool quick = false)
    {
        using var vault = Open(tolerateDamage: true);
        return new Verifier(vault).Run(quick);
    }

    public void Dispose() => _root.Dispose();
}
