using System.Globalization;
using System.Text;

namespace Vlm.Pipeline.Cli;

/// <summary>
/// Writes any .NET string as a JSON string literal. Unlike System.Text.Json's writer it accepts
/// lone surrogates (written as \uXXXX escapes, as JavaScript and Python do) and keeps other
/// characters readable instead of escaping every non-ASCII one.
/// </summary>
internal static class JsonText
{
    public static void WriteString(StringBuilder output, string value)
    {
        output.Append('"');
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            switch (c)
            {
                case '"': output.Append("\\\""); break;
                case '\\': output.Append("\\\\"); break;
                case '\n': output.Append("\\n"); break;
                case '\r': output.Append("\\r"); break;
                case '\t': output.Append("\\t"); break;
                case '\b': output.Append("\\b"); break;
                case '\f': output.Append("\\f"); break;
                default:
                    bool pair = char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]);
                    if (pair)
                    {
                        output.Append(c).Append(value[++i]);
                    }
                    else if (c < 0x20 || char.IsSurrogate(c) || c is '\u2028' or '\u2029')
                    {
                        output.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        output.Append(c);
                    }
                    break;
            }
        }
        output.Append('"');
    }
}
