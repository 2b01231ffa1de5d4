using Dupa.Core.Errors;
using Dupa.Core.Files;

namespace Dupa.Core.Tests.Files;

public sealed class VaultPathTests
{
    [Theory]
    [InlineData("/", "/")]
    [InlineData("/a", "/a")]
    [InlineData("/a/b c/d.txt", "/a/b c/d.txt")]
    [InlineData("a/b", "/a/b")]
    [InlineData("/a//b/", "/a/b")]
    [InlineData("//", "/")]
    [InlineData("/ä/日本/😀", "/ä/日本/😀")]
    public void Parse_GivesTheOneForm(string text, string expected) => Assert.Equal(expected, VaultPath.Parse(text));

    [Theory]
    [InlineData("")]
    [InlineData("/a/./b")]
    [InlineData("/a/../b")]
    [InlineData("/..")]
    [InlineData("/a/b\0")]
    [InlineData("/a\n/b")]
    [InlineData("a//../b")]
    public void Parse_RefusesNamesThatAreNotAllowed_InEitherForm(string text) =>
        Assert.Equal(ErrorCode.InvalidInput, Assert.Throws<DupaException>(() => VaultPath.Parse(text)).Code);

    [Fact]
    public void Parse_RefusesTooLongNamesAndPaths_InTheOneForm()
    {
        Assert.Throws<DupaException>(() => VaultPath.Parse("/" + new string('x', VaultPath.MaxComponentLength + 1)));
        var longPath = string.Concat(Enumerable.Repeat("/" + new string('y', 200), 21));
        Assert.Throws<DupaException>(() => VaultPath.Parse(longPath));
        Assert.Equal("/" + new string('x', VaultPath.MaxComponentLength), VaultPath.Parse("/" + new string('x', VaultPath.MaxComponentLength)));
    }
}
