using System.Text;

namespace Vlm.Pipeline.Cli;

/// <summary>
/// Reads a file line by line as strict UTF-8, so that a bad byte is reported with its line number
/// (a StreamReader decodes in blocks and cannot say which line was at fault). A leading BOM is
/// skipped; "\n" and "\r\n" end lines; a final newline does not start an empty line.
/// </summary>
internal static class Utf8Lines
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IEnumerable<(int Number, string Text)> Read(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var line = new MemoryStream();
        int number = 0;
        bool first = true;
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            if (b != '\n')
            {
                line.WriteByte((byte)b);
                continue;
            }
            yield return (++number, Decode(path, number, line, ref first));
            line.SetLength(0);
        }
        if (line.Length > 0) yield return (++number, Decode(path, number, line, ref first));
    }

    static string Decode(string path, int number, MemoryStream line, ref bool first)
    {
        var bytes = line.GetBuffer().AsSpan(0, (int)line.Length);
        if (first && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
        first = false;
        if (bytes.EndsWith("\r"u8)) bytes = bytes[..^1];
        try
        {
            return Strict.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new InvalidDataException($"{path}: line {number}: not valid UTF-8 (byte at index {e.Index} of the line)");
        }
    }
}
