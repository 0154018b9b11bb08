using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Cli;

namespace Vlm.Pipeline.Commands;

/// <summary><c>vlm export-tiktoken</c>: a Qwen-7B qwen.tiktoken folder from a Qwen2 tokenizer.json folder.</summary>
internal sealed class ExportTiktokenCommand : ICommand
{
    public string Name => "export-tiktoken";
    public string Summary => "derive a Qwen-7B qwen.tiktoken from a Qwen2 tokenizer.json (same ranks)";
    public string Example => "vlm export-tiktoken --output ./qwen7b-tokenizer";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("tokenizer", "folder with tokenizer.json", Default: "the built-in Qwen tokenizer"),
        new("output", "folder to write qwen.tiktoken into", Required: true),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string path = TiktokenExport.FromTokenizerJson(args.Value("tokenizer") ?? BuiltInTokenizer.Folder, args.Required("output"));
        var check = QwenTokenizer.Load(Path.GetDirectoryName(path)!);
        output.WriteLine($"{path}: {check.OrdinaryTokenCount} ranks, {check.SpecialTokens.Count} Qwen-7B special tokens from id {check.OrdinaryTokenCount}");
        return ExitCodes.Ok;
    }
}
