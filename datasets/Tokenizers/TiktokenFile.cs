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
        using var reader = new StringReader(Encoding.UTF8.GetString(content));
        for (string? line; (line = reader.ReadLine()) is not null;)
        {
            lineNumber++;
            if (line.Length == 0) continue;
            int space = line.IndexOf(' ');
            if (space <= 0 || !int.TryParse(line.AsSpan(space + 1), out int rank) || rank < 0)
                throw new TokenizerFormatException(path, $"line {lineNumber}: expected 'base64 rank'");
            var buffer = new byte[space];
            if (!Convert.TryFromBase64String(line[..space], buffer, out _))
                throw new TokenizerFormatException(path, $"line {lineNumber}: token is not valid base64");
            if (!seenRanks.Add(rank))
                throw new TokenizerFormatException(path, $"line {lineNumber}: rank {rank} appears twice");
            count++;
        }
        if (count == 0) throw new TokenizerFormatException(path, "no ranks in the file");
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
