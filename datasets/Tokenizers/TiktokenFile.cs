using System.Text;
using Vlm.Datasets.IO;

namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// The <c>qwen.tiktoken</c> format: one "base64(token bytes) rank" line per ordinary token.
/// </summary>
internal static class TiktokenFile
{
    public const string FileName = "qwen.tiktoken";

    /// <summary>Reads and validates the ranks; errors name the file and line.</summary>
    public static int CountRanks(string path, byte[] content)
    {
        int count = 0, lineNumber = 0;
        var seenRanks = new HashSet<int>();
        var seenTokens = new HashSet<string>(StringComparer.Ordinal);
        var singleBytes = new bool[256];
        using var reader = new StringReader(Encoding.UTF8.GetString(content));
        int blank = 0;
        for (string? line; (line = reader.ReadLine()) is not null;)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                blank = blank == 0 ? lineNumber : blank;
                continue;
            }
            // Microsoft.ML.Tokenizers' reader never returns from a file with a blank line before its last rank.
            if (blank > 0) throw new TokenizerFormatException(path, $"line {blank}: a blank line between ranks");
            int space = line.IndexOf(' ');
            if (space <= 0 || !int.TryParse(line.AsSpan(space + 1), out int rank) || rank < 0)
                throw new TokenizerFormatException(path, $"line {lineNumber}: expected 'base64 rank'");
            var buffer = new byte[space];
            if (!Convert.TryFromBase64String(line[..space], buffer, out int length) || length == 0)
                throw new TokenizerFormatException(path, $"line {lineNumber}: token is not valid base64");
            if (!seenRanks.Add(rank))
                throw new TokenizerFormatException(path, $"line {lineNumber}: rank {rank} appears twice");
            string canonical = Convert.ToBase64String(buffer, 0, length);
            if (canonical != line[..space])
                throw new TokenizerFormatException(path, $"line {lineNumber}: token is not canonical base64 ('{line[..space]}' decodes as '{canonical}')");
            if (!seenTokens.Add(canonical))
                throw new TokenizerFormatException(path, $"line {lineNumber}: the token appears twice");
            if (length == 1) singleBytes[buffer[0]] = true;
            count++;
        }
        if (count == 0) throw new TokenizerFormatException(path, "no ranks in the file");
        // Byte-level BPE can encode any text only when every byte is a token of its own.
        if (Array.IndexOf(singleBytes, false) is int missing and >= 0)
            throw new TokenizerFormatException(path, $"byte 0x{missing:X2} has no token of its own; a byte-level BPE vocabulary needs all 256");
        if (seenRanks.Max() != count - 1)
            throw new TokenizerFormatException(path, $"ranks must run from 0 to {count - 1} without gaps");
        return count;
    }

    /// <summary>Writes ranks as qwen.tiktoken lines, in rank order.</summary>
    public static void Write(string path, IEnumerable<(byte[] Bytes, int Rank)> ranks)
    {
        AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            foreach (var (bytes, rank) in ranks.OrderBy(r => r.Rank))
                writer.WriteLine($"{Convert.ToBase64String(bytes)} {rank}");
        });
    }
}
