using System.Text;

namespace Dupa.Corpus;

/// <summary>
/// Compressible text: prose from a fixed vocabulary with a skewed word frequency, and log lines with timestamps,
/// levels and ids. zstd -3 shrinks both about 3–4×, as it does real documents and logs.
/// </summary>
internal static class TextSource
{
    private static readonly byte[][] Vocabulary = BuildVocabulary();
    private static readonly string[] Levels = ["INFO ", "INFO ", "INFO ", "DEBUG", "WARN ", "ERROR"];
    private static readonly string[] Components = ["http", "db", "auth", "cache", "worker", "sync", "scheduler", "mailer"];

    private static byte[][] BuildVocabulary()
    {
        var rng = new SplitMix64(0x5EED_7E47);
        var words = new byte[4096][];
        for (var i = 0; i < words.Length; i++)
        {
            var word = new byte[rng.Next(2, 11)];
            for (var j = 0; j < word.Length; j++)
            {
                word[j] = (byte)('a' + rng.Next(0, 26));
            }
            words[i] = word;
        }
        return words;
    }

    /// <summary>A word index skewed towards the start of the vocabulary, as natural language is.</summary>
    private static int Word(SplitMix64 rng)
    {
        var r = rng.NextUInt64();
        return (int)(((r & 0xFFF) * ((r >> 12) & 0xFFF)) >> 12);
    }

    /// <summary>Writes about <paramref name="length"/> bytes of prose (exactly that many) to <paramref name="output"/>.</summary>
    public static void WriteProse(Stream output, long length, SplitMix64 rng) => Write(output, length, rng, Sentence);

    /// <summary>Writes exactly <paramref name="length"/> bytes of log lines starting at <paramref name="startSeconds"/>.</summary>
    public static void WriteLog(Stream output, long length, SplitMix64 rng, long startSeconds)
    {
        var seconds = startSeconds;
        Write(output, length, rng, (buffer, r) =>
        {
            seconds += r.Next(0, 3);
            var time = DateTimeOffset.FromUnixTimeSeconds(seconds).ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture);
            var n = Encoding.ASCII.GetBytes($"{time}.{r.Next(0, 1000):D3}Z {Levels[r.Next(0, Levels.Length)]} [{Components[r.Next(0, Components.Length)]}] req={r.NextUInt64() & 0xFFFFFF:x6} ", buffer);
            n += Sentence(buffer.AsSpan(n), r);
            return n;
        });
    }

    /// <summary>One line of 6–14 words, at most 160 bytes.</summary>
    private static int Sentence(Span<byte> buffer, SplitMix64 rng)
    {
        var n = 0;
        var words = rng.Next(6, 15);
        for (var i = 0; i < words; i++)
        {
            var word = Vocabulary[Word(rng)];
            word.CopyTo(buffer[n..]);
            n += word.Length;
            buffer[n++] = (byte)(i == words - 1 ? '\n' : ' ');
        }
        return n;
    }

    private delegate int LineWriter(byte[] buffer, SplitMix64 rng);

    private static void Write(Stream output, long length, SplitMix64 rng, LineWriter line)
    {
        var block = new byte[(int)Math.Min(1 << 20, length + 512)];
        var scratch = new byte[512];
        var used = 0;
        while (length > 0)
        {
            var n = line(scratch, rng);
            var take = (int)Math.Min(n, length);
            if (used + take > block.Length)
            {
                output.Write(block, 0, used);
                used = 0;
            }
            scratch.AsSpan(0, take).CopyTo(block.AsSpan(used));
            used += take;
            length -= take;
        }
        output.Write(block, 0, used);
    }

    private static int Sentence(byte[] buffer, SplitMix64 rng) => Sentence(buffer.AsSpan(), rng);
}
