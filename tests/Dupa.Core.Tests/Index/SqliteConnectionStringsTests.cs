using Dupa.Core.Index;
using Dupa.Testing;
using Microsoft.Data.Sqlite;

namespace Dupa.Core.Tests.Index;

public sealed class SqliteConnectionStringsTests
{
    [Theory]
    [InlineData("/data/node.db")]
    [InlineData("/data with spaces/a;b=c/node.db")]
    [InlineData("/data/\"quoted\"/it's/node.db")]
    [InlineData("/data/{braces}/\t/node.db")]
    public void For_ParsesBackToTheSameSettings(string path)
    {
        var parsed = new SqliteConnectionStringBuilder(SqliteConnectionStrings.For(path, SqliteOpenMode.ReadWrite, defaultTimeoutSeconds: 30));
        Assert.Equal(path, parsed.DataSource);
        Assert.Equal(SqliteOpenMode.ReadWrite, parsed.Mode);
        Assert.False(parsed.Pooling);
        Assert.Equal(30, parsed.DefaultTimeout);
    }

    [Fact]
    public void For_OpensADatabaseInADirectoryWithQuotesAndSemicolons()
    {
        using var dir = new TempDirectory("dupa-sqlite-\"x\";y=");
        var file = Path.Combine(dir.Path, "test.db");
        using (var connection = new SqliteConnection(SqliteConnectionStrings.For(file, SqliteOpenMode.ReadWriteCreate)))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = "CREATE TABLE t (x INTEGER)";
            command.ExecuteNonQuery();
        }
        Assert.True(File.Exists(file));
    }
}
