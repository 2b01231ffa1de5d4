using System.Text;
using System.Text.Json;
using Dupa.Core.Manifest;
using Dupa.Core.Storage;

namespace Dupa.Core.Tests.Manifest;

public sealed class PayloadTests
{
    private static readonly ChunkId First = ChunkId.Read([.. Enumerable.Range(0, 32).Select(i => (byte)i)]);
    private static readonly ChunkId Second = ChunkId.Read([.. Enumerable.Range(0, 32).Select(i => (byte)(255 - i))]);

    [Fact]
    public void PutOps_WithChunksOrAList_AreWrittenAsBefore_AndReadBack()
    {
        var payload = new Payload(
        [
            new PutOp("/a.txt", NodeType.File, 7, 1, 0x1A4) { Chunks = [new ChunkRef(First, 3), new ChunkRef(Second, 4)] },
            new PutOp("/b.bin", NodeType.File, 9, 2, 0x1A4) { List = Second, Count = 12 },
        ]);

        var json = Encoding.UTF8.GetString(payload.Encode());

        // Byte for byte what the IDs' base64 strings gave before they were held as bytes: '+' escaped as \u002B.
        Assert.Equal(
            """{"ops":[{"op":"put","path":"/a.txt","type":"file","size":7,"mtime":1,"mode":420,"chunks":[{"id":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=","len":3},{"id":"//79/Pv6\u002Bfj39vX08/Lx8O/u7ezr6uno5\u002Bbl5OPi4eA=","len":4}]},"""
            + """{"op":"put","path":"/b.bin","type":"file","size":9,"mtime":2,"mode":420,"list":"//79/Pv6\u002Bfj39vX08/Lx8O/u7ezr6uno5\u002Bbl5OPi4eA=","count":12}]}""",
            json);
        var read = Payload.Decode(Encoding.UTF8.GetBytes(json)).Ops.Cast<PutOp>().ToList();
        Assert.Equal([new ChunkRef(First, 3), new ChunkRef(Second, 4)], read[0].Chunks);
        Assert.Null(read[0].List);
        Assert.Equal(Second, read[1].List);
        Assert.Null(read[1].Chunks);
    }

    [Fact]
    public void APutOpReadFromALog_HoldsItsChunksInAnArrayOfTheirNumber_AndAKnownTypesOneString()
    {
        // An open vault holds every put it folded: a list with room for four chunks, or a copy of "text/plain", in
        // each of 20,000 files was megabytes of an idle node's memory.
        var json = new Payload(
        [
            new PutOp("/a.txt", NodeType.File, 3, 1, 0x1A4) { Chunks = [new ChunkRef(First, 3)], Mime = new string(Core.Files.MediaType.Text) },
            new PutOp("/b.xyz", NodeType.File, 7, 2, 0x1A4) { Chunks = [new ChunkRef(First, 3), new ChunkRef(Second, 4)], Mime = "application/x-made-up" },
        ]).Encode();

        var read = Payload.Decode(json).Ops.Cast<PutOp>().ToList();

        var one = Assert.IsType<ChunkRef[]>(read[0].Chunks);
        Assert.Equal([new ChunkRef(First, 3)], one);
        Assert.Same(Core.Files.MediaType.Text, read[0].Mime);
        Assert.Equal([new ChunkRef(First, 3), new ChunkRef(Second, 4)], Assert.IsType<ChunkRef[]>(read[1].Chunks));
        Assert.Equal("application/x-made-up", read[1].Mime);
        Assert.Equal(json, new Payload([.. read]).Encode());
    }

    [Theory]
    [InlineData("//79/Pv6+fj39vX08/Lx8O/u7ezr6uno5+bl5OPi4eA=")]
    [InlineData(@"\/\/79\/Pv6\u002bfj39vX08\/Lx8O\/u7ezr6uno5+bl5OPi4eA\u003D")]
    public void A_ChunkId_ReadsWithOrWithoutEscapes(string id)
    {
        var json = """{"ops":[{"op":"put","path":"/a","type":"file","size":4,"mtime":1,"mode":420,"chunks":[{"id":""" + "\"" + id + "\"" + ""","len":4}]}]}""";

        var put = (PutOp)Payload.Decode(Encoding.UTF8.GetBytes(json)).Ops[0];

        Assert.Equal([new ChunkRef(Second, 4)], put.Chunks);
    }

    [Theory]
    [InlineData("\"chunks\":[{\"id\":\"not base64!\",\"len\":3}]")]
    [InlineData("\"chunks\":[{\"id\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==\",\"len\":3}]")] // 31 bytes
    [InlineData("\"chunks\":[{\"id\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==\",\"len\":3}]")] // 34 bytes
    [InlineData("\"chunks\":[{\"id\":7,\"len\":3}]")]
    [InlineData("\"list\":\"AAEC\",\"count\":2")]
    [InlineData("\"chunks\":[{\"len\":3}]")]
    [InlineData("\"chunks\":[{\"id\":\"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\"}]")]
    [InlineData("\"chunks\":[{\"id\":null,\"len\":3}]")]
    public void A_ChunkRefWithoutAnIdOfBase64Of32BytesOrALength_IsAMalformedPayload(string content)
    {
        var json = """{"ops":[{"op":"put","path":"/a","type":"file","size":7,"mtime":1,"mode":420,""" + content + "}]}";

        Assert.ThrowsAny<JsonException>(() => Payload.Decode(Encoding.UTF8.GetBytes(json)));
    }
}
