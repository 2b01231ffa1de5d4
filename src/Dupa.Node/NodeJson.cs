using System.Text.Json;
using System.Text.Json.Serialization;
using Dupa.Core.Replication;
using Dupa.Core.Vaults;
using Dupa.Node.Api;
using Dupa.Node.Events;
using Dupa.Node.Peers;

namespace Dupa.Node;

/// <summary>
/// Every type the node reads or writes as JSON: the API's request and response bodies, the events on the WebSocket,
/// job results, and the peer protocol's messages. Source-generated, so the node needs no reflection for JSON and
/// runs published with Native AOT; the node's JSON options resolve types through this context and nothing else, so a
/// type missing here fails in the tests rather than in the published executable.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
// Health
[JsonSerializable(typeof(HealthView))]
[JsonSerializable(typeof(ReadyView))]
// Auth and tokens
[JsonSerializable(typeof(SetupRequest))]
[JsonSerializable(typeof(LoginRequest))]
[JsonSerializable(typeof(LoginResponse))]
[JsonSerializable(typeof(ChangePasswordRequest))]
[JsonSerializable(typeof(MeView))]
[JsonSerializable(typeof(CreateTokenRequest))]
[JsonSerializable(typeof(CreatedToken))]
[JsonSerializable(typeof(List<TokenView>))]
// Users and invites
[JsonSerializable(typeof(CreateUserRequest))]
[JsonSerializable(typeof(UserView))]
[JsonSerializable(typeof(List<UserAdminView>))]
[JsonSerializable(typeof(SetQuotaRequest))]
[JsonSerializable(typeof(ResetPasswordRequest))]
[JsonSerializable(typeof(PasswordResetView))]
[JsonSerializable(typeof(CreateInviteRequest))]
[JsonSerializable(typeof(InviteView))]
[JsonSerializable(typeof(SignupRequest))]
// Vaults
[JsonSerializable(typeof(CreateVaultRequest))]
[JsonSerializable(typeof(CreatedVault))]
[JsonSerializable(typeof(List<VaultView>))]
[JsonSerializable(typeof(UnlockRequest))]
[JsonSerializable(typeof(RotateKeyRequest))]
[JsonSerializable(typeof(RotatedKey))]
[JsonSerializable(typeof(VaultStats))]
// Files, trash, uploads, archives, download tickets
[JsonSerializable(typeof(EntryView))]
[JsonSerializable(typeof(ListingView))]
[JsonSerializable(typeof(List<EntryView>))]
[JsonSerializable(typeof(List<VersionView>))]
[JsonSerializable(typeof(List<TrashItemView>))]
[JsonSerializable(typeof(MoveRequest))]
[JsonSerializable(typeof(RestoreVersionRequest))]
[JsonSerializable(typeof(RestoreTrashRequest))]
[JsonSerializable(typeof(TrashedView))]
[JsonSerializable(typeof(RestoredView))]
[JsonSerializable(typeof(PurgedView))]
[JsonSerializable(typeof(CreateUploadRequest))]
[JsonSerializable(typeof(UploadView))]
[JsonSerializable(typeof(ArchiveRequest))]
[JsonSerializable(typeof(DownloadTicketRequest))]
[JsonSerializable(typeof(DownloadTicketView))]
// Search, tags, retention, history
[JsonSerializable(typeof(SearchResultView))]
[JsonSerializable(typeof(TagRequest))]
[JsonSerializable(typeof(TagsView))]
[JsonSerializable(typeof(List<TagCountView>))]
[JsonSerializable(typeof(IReadOnlyList<TagCountView>))]
[JsonSerializable(typeof(PolicyView))]
[JsonSerializable(typeof(SetPolicyRequest))]
[JsonSerializable(typeof(LockRequest))]
[JsonSerializable(typeof(List<LogRecordView>))]
[JsonSerializable(typeof(IReadOnlyList<LogRecordView>))]
[JsonSerializable(typeof(List<ChangeView>))]
[JsonSerializable(typeof(IReadOnlyList<ChangeView>))]
// Sharing with users, links
[JsonSerializable(typeof(MemberRequest))]
[JsonSerializable(typeof(MemberView))]
[JsonSerializable(typeof(List<MemberView>))]
[JsonSerializable(typeof(IReadOnlyList<MemberView>))]
[JsonSerializable(typeof(List<AuditView>))]
[JsonSerializable(typeof(IReadOnlyList<AuditView>))]
[JsonSerializable(typeof(CreateLinkRequest))]
[JsonSerializable(typeof(CreatedLink))]
[JsonSerializable(typeof(List<LinkView>))]
[JsonSerializable(typeof(IReadOnlyList<LinkView>))]
[JsonSerializable(typeof(LinkInfoView))]
[JsonSerializable(typeof(LinkAccessRequest))]
[JsonSerializable(typeof(LinkAccessView))]
[JsonSerializable(typeof(LinkListingView))]
[JsonSerializable(typeof(DroppedView))]
// Jobs: a job's result is an object, written as what it is
[JsonSerializable(typeof(StartJobRequest))]
[JsonSerializable(typeof(JobView))]
[JsonSerializable(typeof(List<JobView>))]
[JsonSerializable(typeof(VerifyJobResult))]
[JsonSerializable(typeof(GcResult))]
[JsonSerializable(typeof(ForgetJobResult))]
// Events
[JsonSerializable(typeof(NodeEvent))]
// Peers: the admin's API
[JsonSerializable(typeof(NodeIdView))]
[JsonSerializable(typeof(NodeStatusView))]
[JsonSerializable(typeof(PeerView))]
[JsonSerializable(typeof(List<PeerView>))]
[JsonSerializable(typeof(AddPeerRequest))]
[JsonSerializable(typeof(CreatePeerInviteRequest))]
[JsonSerializable(typeof(PeerInviteView))]
[JsonSerializable(typeof(JoinPeerRequest))]
[JsonSerializable(typeof(RecoveryGrantRequest))]
[JsonSerializable(typeof(ReplicationPolicyRequest))]
[JsonSerializable(typeof(ShareRequest))]
[JsonSerializable(typeof(ShareView))]
[JsonSerializable(typeof(List<ShareView>))]
// Peers: the peer protocol, relaying, discovery and invite codes
[JsonSerializable(typeof(PeerHello))]
[JsonSerializable(typeof(PeerJoinRequest))]
[JsonSerializable(typeof(List<ReplicaState>))]
[JsonSerializable(typeof(List<SharedVault>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(bool?))]
[JsonSerializable(typeof(ReplicaManifest))]
[JsonSerializable(typeof(MemberKeyRequest))]
[JsonSerializable(typeof(MemberKeyAnswer))]
[JsonSerializable(typeof(AuditRequest))]
[JsonSerializable(typeof(AuditAnswer))]
[JsonSerializable(typeof(RelayOffer))]
[JsonSerializable(typeof(DiscoveryAnnouncement))]
[JsonSerializable(typeof(PeerInvite))]
public sealed partial class NodeJson : JsonSerializerContext;
