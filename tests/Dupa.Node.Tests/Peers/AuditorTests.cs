using System.Collections.Concurrent;
using System.Security.Cryptography;
using Dupa.Node.Peers;

namespace Dupa.Node.Tests.Peers;

/// <summary>
/// How an audit's answer is judged (docs/protocol.md, Audits). The owner learns that a pack was sent when its side of
/// the response ends, before the replica has synced and renamed it, so a pack missing at its first audit after
/// being sent is asked again, and fails the audit only when it is missing a second time.
/// </summary>
public sealed class AuditorTests
{
    private static readonly byte[] Nonce = RandomNumberGenerator.GetBytes(32);

    private static (AuditRange Range, byte[] Bytes) Range(string pack) => (new AuditRange(pack, 0, 16), RandomNumberGenerator.GetBytes(16));

    private static string Proved((AuditRange Range, byte[] Bytes) range) => Convert.ToBase64String(Auditor.Proof(Nonce, range.Bytes));

    private static ConcurrentDictionary<string, bool> Delivered(params string[] packs) => new(packs.Select(p => KeyValuePair.Create(p, false)));

    [Fact]
    public void APackMissingJustAfterItWasSent_GivesNoVerdict_AndFailsWhenMissingAgain()
    {
        var pack = Range(new string('a', 64));
        var delivered = Delivered(pack.Range.Pack);

        Assert.Equal(Auditor.NotYetHeld, Auditor.Check([pack], Nonce, new AuditAnswer([null]), delivered));
        Assert.Equal($"pack {new string('a', 12)} is missing on the replica", Auditor.Check([pack], Nonce, new AuditAnswer([null]), delivered));
    }

    [Fact]
    public void AFirstMissBesideAProof_Passes_AndAProofForgetsTheMiss()
    {
        var (held, late) = (Range(new string('b', 64)), Range(new string('c', 64)));
        var delivered = Delivered(held.Range.Pack, late.Range.Pack);

        Assert.Null(Auditor.Check([held, late], Nonce, new AuditAnswer([Proved(held), null]), delivered));
        // Held by the next audit: proved, and a later miss (lost since) is a first miss again.
        Assert.Null(Auditor.Check([late], Nonce, new AuditAnswer([Proved(late)]), delivered));
        Assert.Equal(Auditor.NotYetHeld, Auditor.Check([late], Nonce, new AuditAnswer([null]), delivered));
    }

    [Theory]
    [InlineData("wrong")]
    [InlineData("not base64!")]
    [InlineData("")]
    public void AWrongOrMalformedProof_IsAltered(string kind)
    {
        var pack = Range(new string('d', 64));
        var proof = kind == "wrong" ? Convert.ToBase64String(Auditor.Proof(RandomNumberGenerator.GetBytes(32), pack.Bytes)) : kind;

        Assert.Equal($"pack {new string('d', 12)} is altered on the replica", Auditor.Check([pack], Nonce, new AuditAnswer([proof]), Delivered(pack.Range.Pack)));
    }

    [Fact]
    public void AnAnswerThatDoesNotCoverEveryRange_Fails()
    {
        var pack = Range(new string('e', 64));
        Assert.Equal("the answer does not cover every range asked", Auditor.Check([pack], Nonce, new AuditAnswer([]), Delivered(pack.Range.Pack)));
    }
}
