using System.Text;
using Vlm.Datasets.IO;

namespace Vlm.Pipeline.Cli;

/// <summary>
/// Reads a text file line by line as strict UTF-8, so that a bad byte is reported with its line
/// number (a StreamReader decodes in blocks and cannot say which line was at fault). A leading BOM
/// is skipped.
/// </summary>
internal static class Utf8Lines
{
    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static IEnumerable<(int Number, string Text)> Read(string path)
    {
        foreach (var (number, line) in ByteLines.Read(path))
        {
            var bytes = line.Span;
            if (number == 1 && bytes.StartsWith("\uFEFF"u8)) bytes = bytes[3..];
            string text;
            try
            {
                text = Strict.GetString(bytes);
            }
            catch (DecoderFallbackException e)
            {
                throw new InvalidDataException($"{path}: line {number}: not valid UTF-8 (byte at index {e.Index} of the line)");
            }
            yield return (number, text);
        }
    }
}
