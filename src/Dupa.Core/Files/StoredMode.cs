using Microsoft.Win32.SafeHandles;

namespace Dupa.Core.Files;

/// <summary>
/// A version's permission bits as a restore applies them: 0 means unknown (nothing is set), and Windows has none.
/// </summary>
public static class StoredMode
{
    public static void Apply(string path, int mode)
    {
        if (!OperatingSystem.IsWindows() && mode != 0)
        {
            File.SetUnixFileMode(path, (UnixFileMode)(mode & 0xFFF));
        }
    }

    public static void Apply(SafeFileHandle file, int mode)
    {
        if (!OperatingSystem.IsWindows() && mode != 0)
        {
            File.SetUnixFileMode(file, (UnixFileMode)(mode & 0xFFF));
        }
    }
}
