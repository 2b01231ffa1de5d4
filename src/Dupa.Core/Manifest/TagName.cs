using System.Text;
using Dupa.Core.Errors;

namespace Dupa.Core.Manifest;

/// <summary>Tags: short labels on files and directories, compared exactly after normalizing.</summary>
public static class TagName
{
    public const int MaxLength = 64;

    /// <summary>Trims and NFC-normalizes a tag; refuses empty, overlong and control-character tags.</summary>
    public static string Normalize(string? tag)
    {
        string normalized;
        try
        {
            normalized = (tag ?? "").Trim().Normalize(NormalizationForm.FormC);
        }
        catch (ArgumentException)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a tag must be valid Unicode");
        }
        if (normalized.Length == 0)
        {
            throw new DupaException(ErrorCode.InvalidInput, "a tag cannot be empty");
        }
        if (normalized.Length > MaxLength)
        {
            throw new DupaException(ErrorCode.InvalidInput, $"a tag can be at most {MaxLength} characters");
        }
        if (normalized.Any(char.IsControl))
        {
            throw new DupaException(ErrorCode.InvalidInput, "a tag cannot hold control characters");
        }
        return normalized;
    }
}
