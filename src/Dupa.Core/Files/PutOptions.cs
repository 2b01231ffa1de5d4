namespace Dupa.Core.Files;

/// <summary>How <see cref="FileImporter"/> adds files.</summary>
public sealed record PutOptions
{
    public PathFilter Exclude { get; init; } = PathFilter.None;

    /// <summary>Reported after every chunk and every file.</summary>
    public IProgress<PutProgress>? Progress { get; init; }

    /// <summary>An entry is appended after this many changes, so a long put keeps what it has done if stopped.</summary>
    public int BatchSize { get; init; } = 1000;
}

/// <summary>Where a put is: counts so far against the totals found by the scan.</summary>
public sealed record PutProgress(long BytesDone, long BytesTotal, int FilesDone, int FilesTotal, string? CurrentPath);

/// <summary>What a put did.</summary>
public sealed record PutResult
{
    public int FilesAdded { get; init; }
    public int FilesChanged { get; init; }
    public int FilesUnchanged { get; init; }
    public int Directories { get; init; }
    public int Symlinks { get; init; }
    public long BytesRead { get; init; }
    public int ChunksAdded { get; init; }
    public long BytesStored { get; init; }
    public IReadOnlyList<string> Errors { get; init; } = [];
    public IReadOnlyList<string> Warnings { get; init; } = [];
}
