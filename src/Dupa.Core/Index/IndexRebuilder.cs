using Dupa.Core.Errors;
using Dupa.Core.Files;
using Dupa.Core.Storage;
using Dupa.Core.Vaults;

namespace Dupa.Core.Index;

public sealed record RebuildResult(int Packs, int Chunks, IReadOnlyList<string> SkippedPacks);

/// <summary>
/// <c>dupa index rebuild</c>: the index is derived, so it can always be made again from the pack trailers and
/// the logs. The vault must have been opened with <see cref="VaultOpenOptions.DiscardIndex"/>, which starts from
/// an empty index under the write lock.
/// </summary>
public static class IndexRebuilder
{
    public static RebuildResult Rebuild(Vault vault)
    {
        if (!vault.IsWritable)
        {
            throw new ArgumentException("The vault must be open for writing.", nameof(vault));
        }
        var skipped = new List<string>();
        int packs = 0, chunks = 0;
        foreach (var file in Directory.EnumerateFiles(Path.Combine(vault.Directory, "packs"), "*.pack", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileNameWithoutExtension(file);
            if (name.Length != 64 || !name.All(char.IsAsciiHexDigitLower))
            {
                skipped.Add($"{file}: not a pack name");
                continue;
            }
            try
            {
                var entries = PackFormat.ReadTrailer(file, name);
                vault.Index.AddPack(new PackInfo(name, new FileInfo(file).Length, entries));
                packs++;
                chunks += entries.Count;
            }
            catch (IntegrityException e)
            {
                skipped.Add(e.Message);
            }
        }
        foreach (var log in vault.Logs)
        {
            if (log.Last is { } last)
            {
                vault.Index.SetLogHead(log.Device, new LogHead(last.Sequence, last.Hash, log.CompleteLength));
            }
        }
        // The index is whole again (docs/format.md, Directory layout).
        DurableFile.TryDelete(Path.Combine(vault.Directory, Vault.RebuildMarkerName));
        return new RebuildResult(packs, chunks, skipped);
    }
}
