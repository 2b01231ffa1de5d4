namespace Dupa.Node.Sharing;

/// <summary>
/// What a user may do with a vault (docs/sharing.md, Roles). Each role includes the ones before it:
/// viewer reads; editor also writes and deletes to the trash; manager also shares, makes links, sets the
/// policy, locks, purges and runs jobs; owner (the vault's creator) also manages its peers.
/// </summary>
public static class VaultRoles
{
    public const string Viewer = "viewer";
    public const string Editor = "editor";
    public const string Manager = "manager";
    public const string Owner = "owner";

    /// <summary>The roles a vault can be shared with (the owner is not granted, they created it).</summary>
    public static readonly IReadOnlyList<string> Grantable = [Viewer, Editor, Manager];

    public static int Rank(string role) => role switch
    {
        Viewer => 1,
        Editor => 2,
        Manager => 3,
        Owner => 4,
        _ => 0,
    };

    public static bool Includes(string role, string needed) => Rank(role) >= Rank(needed) && Rank(needed) > 0;
}
