using System.Text;
using System.Text.Json;
using Vlm.Datasets.IO;
using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Cli;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm tokenize</c>: texts in, one <c>{"text", "ids"}</c> line per text out, in order. No BOS/EOS
/// is added; special-token strings map to their ids. The output appears only when every input
/// line was read, so a bad line never leaves a half-written file behind.
/// </summary>
internal sealed class TokenizeCommand : ICommand
{
    public string Name => "tokenize";
    public string Summary => "turn texts into Qwen token ids (one JSON object per text)";
    public string Example => "vlm tokenize --tokenizer ./Qwen-7B-Chat --input captions.txt --output ids.jsonl";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("tokenizer", "tokenizer folder: qwen.tiktoken (Qwen-7B) or tokenizer.json (Qwen2)", Default: "the built-in Qwen tokenizer"),
        new("input", "UTF-8 text file, one text per line; or .jsonl with one {\"text\": \"...\"} per line", Required: true),
        new("output", "output .jsonl file", Required: true),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string input = args.Required("input");
        string target = args.Required("output");
        if (!File.Exists(input)) throw new FileNotFoundException($"{input}: no such input file");
        var tokenizer = TextTokenizer.Load(args.Value("tokenizer") ?? BuiltInTokenizer.Folder);

        bool jsonl = input.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase);
        int count = 0, tokens = 0;
        AtomicFile.Write(target, stream =>
        {
            using var writer = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true) { NewLine = "\n" };
            var line = new StringBuilder();
            foreach (var (number, text) in Utf8Lines.Read(input))
            {
                string value = jsonl ? ReadText(input, number, text) : text;
                var ids = tokenizer.Encode(value);
                line.Clear().Append("{\"text\":");
                JsonText.WriteString(line, value);
                line.Append(",\"ids\":[").AppendJoin(',', ids).Append("]}");
                writer.WriteLine(line);
                count++;
                tokens += ids.Count;
            }
        });
        output.WriteLine($"{count} texts, {tokens} tokens -> {target} (tokenizer {tokenizer.Kind}, sha256 {tokenizer.Fingerprint[..12]})");
        return ExitCodes.Ok;
    }

    static string ReadText(string path, int number, string line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                return text.GetString()!;
            throw new InvalidDataException($"{path}: line {number}: expected an object with a string \"text\"");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: line {number}: not valid JSON ({e.Message})");
        }
    }
}
