using System.Text;
using Vlm.Datasets.Tokenizers;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Runtime;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm doctor</c>: what this machine gives the pipeline. Exits 1 with a one-line reason when
/// TorchSharp cannot load, and 1 when a folder it was pointed at cannot be read.
/// </summary>
internal sealed class DoctorCommand(Func<TorchRuntimeInfo> probe) : ICommand
{
    public DoctorCommand() : this(TorchRuntime.Probe) { }

    public string Name => "doctor";
    public string Summary => "check TorchSharp, CUDA, the native fix, the tokenizer and model folders";
    public string Example => "vlm doctor --tokenizer ./Qwen-7B-Chat --llm ./Qwen-7B-Chat --vision ./clip-vit-large-patch14";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("tokenizer", "tokenizer folder to check", Default: "the built-in Qwen tokenizer"),
        new("llm", "language model checkpoint folder to check"),
        new("vision", "vision tower checkpoint folder to check"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        var fix = NativeFixStatus.Inspect(AppContext.BaseDirectory);
        output.WriteLine($"native fix     {fix.Describe()}");
        var torch = probe(); // throws TorchLoadException: reported as one line by the runner
        output.WriteLine($"TorchSharp     {torch.TorchSharpVersion}");
        output.WriteLine($"libtorch       {torch.LibTorchVersion}");
        output.WriteLine($"CUDA           {(torch.CudaAvailable ? "available: " + string.Join(", ", torch.CudaDevices) : "not available (CPU build or no GPU)")}");
        output.WriteLine($"threads        {torch.Threads}");
        output.WriteLine($"cpu kernels    {torch.CpuKernels ?? "unknown"} (libtorch's choice; {CpuKernels.Variable}={Environment.GetEnvironmentVariable(CpuKernels.Variable) ?? "unset"})");
        output.WriteLine($"unicode        {(IcuWorks() ? "ICU normalization available" : "MISSING: no ICU, tokenizers cannot normalize")}");

        bool ok = fix.UnmetVersions.Count == 0 && IcuWorks();
        ok &= Check(output, "tokenizer", args.Value("tokenizer") ?? BuiltInTokenizer.Folder, DescribeTokenizer);
        if (args.Value("llm") is { } llm) ok &= Check(output, "llm", llm, DescribeCheckpoint);
        if (args.Value("vision") is { } vision) ok &= Check(output, "vision", vision, DescribeCheckpoint);
        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }

    static bool IcuWorks() => "e\u0301".Normalize(NormalizationForm.FormC) == "\u00e9";

    static bool Check(TextWriter output, string label, string folder, Func<string, string> describe)
    {
        try
        {
            output.WriteLine($"{label,-14} {folder}: {describe(folder)}");
            return true;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException or KeyNotFoundException)
        {
            output.WriteLine($"{label,-14} {folder}: ERROR {e.Message.ReplaceLineEndings(" ")}");
            return false;
        }
    }

    static string DescribeTokenizer(string folder)
    {
        var t = TextTokenizer.Load(folder);
        return $"{t.Kind}, vocabulary {t.VocabularySize}, sha256 {t.Fingerprint[..12]}";
    }

    static string DescribeCheckpoint(string folder)
    {
        using var checkpoint = CheckpointFolder.Open(folder);
        string type = checkpoint.Config.String("model_type") ?? "no model_type";
        return $"{type}, {checkpoint.Names.Count()} tensors";
    }
}
