using System.Diagnostics;

namespace Dupa.Testing;

/// <summary>
/// A tmpfs of a few MiB mounted under a temporary directory, for a real ENOSPC; mounting needs root, which CI and the
/// dev machines have. Dispose unmounts it (lazily, should a file still be open) and removes the directory.
/// </summary>
public sealed class SmallDisk : IDisposable
{
    private readonly TempDirectory _root = new("dupa-small-disk-");

    public SmallDisk(int megabytes)
    {
        Path = _root.Combine("disk");
        Directory.CreateDirectory(Path);
        using var mount = Process.Start("mount", ["-t", "tmpfs", "-o", $"size={megabytes}m", "tmpfs", Path]);
        mount.WaitForExit();
        if (mount.ExitCode != 0)
        {
            _root.Dispose();
            throw new InvalidOperationException("a full-disk test needs to mount a small tmpfs (run as root)");
        }
    }

    /// <summary>Where the disk is mounted.</summary>
    public string Path { get; }

    public void Dispose()
    {
        using (var unmount = Process.Start("umount", ["-l", Path]))
        {
            unmount.WaitForExit();
        }
        _root.Dispose();
    }
}
