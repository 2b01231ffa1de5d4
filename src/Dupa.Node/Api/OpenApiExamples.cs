using System.Text.Json.Nodes;
using Microsoft.AspNetCore.OpenApi;

namespace Dupa.Node.Api;

/// <summary>An example for each request and response body in the OpenAPI document, so the reference page shows real calls.</summary>
internal static class OpenApiExamples
{
    private static readonly Dictionary<Type, string> Examples = new()
    {
        [typeof(LoginRequest)] = """{"username": "admin", "password": "s3cret-pass"}""",
        [typeof(DownloadTicketRequest)] = """{"path": "/Photos/beach.jpg", "version": null, "at": null, "archive": false}""",
        [typeof(DownloadTicketView)] = """{"url": "/api/v1/downloads/q8Xr...", "expiresAt": "2026-11-22T12:01:00Z"}""",
        [typeof(ArchiveRequest)] = """{"paths": ["/Photos/beach.jpg", "/Photos/2026"], "at": null}""",
        [typeof(ChangePasswordRequest)] = """{"current": "s3cret-pass", "new": "a longer, newer passphrase"}""",
        [typeof(LoginResponse)] = """{"accessToken": "eyJhbGciOi...", "tokenType": "Bearer", "expiresIn": 900, "user": {"id": "38a857485d1f4f67", "username": "admin", "role": "admin"}}""",
        [typeof(SetupRequest)] = """{"token": "3f1c0e9a5b7d2468ace0f1e2d3c4b5a6", "username": "admin", "password": "s3cret-pass"}""",
        [typeof(SignupRequest)] = """{"username": "carol", "password": "correct horse", "invite": "9a8b7c6d5e4f30211f2e3d4c5b6a7988"}""",
        [typeof(CreateTokenRequest)] = """{"name": "nightly backup", "scopes": "read write", "expiresAt": "2027-01-01T00:00:00Z"}""",
        [typeof(CreatedToken)] = """{"id": "4be1c2d3e4f5", "token": "dupa_Q2hhbmdlIG1lIQ...", "scopes": "read write", "expiresAt": "2027-01-01T00:00:00Z"}""",
        [typeof(CreateVaultRequest)] = """{"name": "photos", "passphrase": "a long passphrase"}""",
        [typeof(CreatedVault)] = """{"id": "879720135a014e6bac6eba19da9513b3", "name": "photos", "recoveryKey": "6YPYI57-BOPW5AQ-5XGHXJE-5QGRZMM-4KSDYEX-K2YG7LS-LR5VMA4-6XMSTA5"}""",
        [typeof(UnlockRequest)] = """{"passphrase": "a long passphrase", "password": null}""",
        [typeof(VaultView)] = """{"id": "879720135a014e6bac6eba19da9513b3", "name": "photos", "createdAt": "2026-11-22T12:00:00Z", "unlocked": true, "role": "editor", "owner": "alice", "needsReshare": false}""",
        [typeof(MemberRequest)] = """{"role": "editor"}""",
        [typeof(MemberView)] = """{"username": "bob", "role": "editor", "addedAt": "2026-11-22T12:00:00Z", "addedBy": "alice", "needsReshare": false, "passwordSetByAdmin": false}""",
        [typeof(AuditView)] = """{"at": "2026-11-22T12:05:00Z", "actor": "bob", "action": "file.added", "target": null, "path": "/Photos/beach.jpg"}""",
        [typeof(CreateLinkRequest)] = """{"path": "/Photos/2026", "kind": "read", "password": null, "expiresAt": "2026-12-01T00:00:00Z", "maxUses": 10}""",
        [typeof(LinkView)] = """{"id": "3f2a9c01d4e5b6a7", "vaultId": "879720135a014e6bac6eba19da9513b3", "vault": "photos", "kind": "read", "path": "/Photos/2026", "state": "active", "hasPassword": false, "expiresAt": "2026-12-01T00:00:00Z", "maxUses": 10, "uses": 2, "lastUsedAt": "2026-11-23T09:00:00Z", "createdBy": "alice", "createdAt": "2026-11-22T12:00:00Z"}""",
        [typeof(LinkInfoView)] = """{"kind": "read", "name": "beach.jpg", "type": "file", "size": 2480311, "mime": "image/jpeg", "expiresAt": null, "usesLeft": 3}""",
        [typeof(LinkAccessRequest)] = """{"password": "the link's password"}""",
        [typeof(EntryView)] = """{"name": "beach.jpg", "path": "/Photos/beach.jpg", "type": "file", "size": 2480311, "modified": "2026-07-01T10:00:00Z", "versions": 2, "version": "6403…fe5:2:0", "target": null, "mime": "image/jpeg", "tags": ["family"], "mode": 420}""",
        [typeof(MoveRequest)] = """{"from": "/Photos/beach.jpg", "to": "/Photos/2026/beach.jpg"}""",
        [typeof(RestoreVersionRequest)] = """{"path": "/docs/notes.txt", "version": 1}""",
        [typeof(RestoreTrashRequest)] = """{"to": "/docs/restored.txt"}""",
        [typeof(CreateUploadRequest)] = """{"path": "/videos/holiday.mp4", "length": 734003200, "modified": "2026-08-14T18:30:00Z"}""",
        [typeof(UploadView)] = """{"id": "c0ffee0123456789abcdef0123456789", "path": "/videos/holiday.mp4", "offset": 4194304, "length": 734003200, "expires": "2026-11-23T12:00:00Z"}""",
        [typeof(StartJobRequest)] = """{"kind": "gc", "dryRun": false, "maxUnused": 0.2}""",
        [typeof(TagRequest)] = """{"path": "/Photos/beach.jpg", "add": ["family", "2026"], "remove": ["todo"]}""",
        [typeof(TagsView)] = """{"path": "/Photos/beach.jpg", "tags": ["2026", "family"]}""",
        [typeof(SearchResultView)] = """{"total": 1, "offset": 0, "hits": [{"path": "/Photos/beach.jpg", "name": "beach.jpg", "type": "file", "size": 2480311, "modified": "2026-07-01T10:00:00Z", "mime": "image/jpeg", "version": 2, "versionId": "6403…fe5:2:0", "source": "current", "trashItem": null, "tags": ["family"]}]}""",
        [typeof(SetPolicyRequest)] = """{"trashDays": 30, "rules": [{"prefix": "/", "last": 3, "withinDays": 0, "hourly": 0, "daily": 7, "weekly": 4, "monthly": 12, "yearly": 5}]}""",
        [typeof(PolicyView)] = """{"trashDays": 30, "rules": [{"prefix": "/", "last": 3, "withinDays": 0, "hourly": 0, "daily": 7, "weekly": 4, "monthly": 12, "yearly": 5}], "locks": [{"prefix": "/Contracts", "until": "2030-01-01T00:00:00Z", "active": true}]}""",
        [typeof(LockRequest)] = """{"path": "/Contracts", "until": "2030-01-01T00:00:00Z"}""",
        [typeof(CreateUserRequest)] = """{"username": "alice", "password": "alice's passphrase", "role": "user", "quotaBytes": 107374182400}""",
        [typeof(ResetPasswordRequest)] = """{"password": "a temporary passphrase"}""",
        [typeof(PasswordResetView)] = """{"username": "bob", "sharedVaultsToReshare": 2, "notice": "bob's password is set; ..."}""",
        [typeof(SetQuotaRequest)] = """{"quotaBytes": 107374182400}""",
        [typeof(CreateInviteRequest)] = """{"expiresInDays": 7}""",
    };

    public static void Add(OpenApiOptions options) => options.AddSchemaTransformer((schema, context, _) =>
    {
        if (Examples.TryGetValue(context.JsonTypeInfo.Type, out var example))
        {
            schema.Examples = [JsonNode.Parse(example)!];
        }
        return Task.CompletedTask;
    });
}
