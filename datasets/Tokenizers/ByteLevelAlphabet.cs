namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// GPT-2's reversible byte-to-character table used by byte-level BPE vocabularies (tokenizer.json):
/// printable Latin-1 bytes stand for themselves, the other 68 bytes map to U+0100 onwards.
/// Source: openai/gpt-2 encoder.py, bytes_to_unicode().
/// </summary>
internal static class ByteLevelAlphabet
{
    static readonly char[] ByteToChar = Build();
    static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(p => p.c, p => (byte)p.b);

    static char[] Build()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }

    /// <summary>The bytes a vocabulary token string stands for, or null if it has a character outside the table.</summary>
    public static byte[]? ToBytes(string token)
    {
        var bytes = new byte[token.Length];
        for (int i = 0; i < token.Length; i++)
        {
            if (!CharToByte.TryGetValue(token[i], out bytes[i])) return null;
        }
        return bytes;
    }

    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }
}
