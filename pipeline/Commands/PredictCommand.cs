using System.Text.Json;
using Vlm.Datasets.IO;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Estimator;

namespace Vlm.Pipeline.Commands;

/// <summary>
/// <c>vlm predict</c>: one answer from a trained model folder (the original's test.sh), streamed as
/// it is generated; or, with <c>--input</c>, a file of questions answered in batches.
/// </summary>
internal sealed class PredictCommand : ICommand
{
    public string Name => "predict";
    public string Summary => "answer a question about an image with a trained model (or a JSONL file of them, in batches)";
    public string Example => "vlm predict --weights ./out/model --image cat.jpg --prompt \"What is in the picture?\"   (many: --input questions.jsonl --output answers.jsonl)";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        ModelArguments.Weights,
        new("image", "image file (PNG, JPEG, ...); leave out for a text-only question"),
        new("prompt", "the question (required unless --input)"),
        new("input", "a JSONL file of questions: {\"id\", \"prompt\"[, \"image\" (relative to the file's folder)][, \"history\"]} per line"),
        new("output", "with --input: the JSONL file of {\"id\", \"answer\"} to write (written whole at the end)"),
        new("batch_size", "with --input: questions answered together", Default: "8"),
        .. GenerationArguments.Options,
        .. ModelArguments.Placement,
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string weights = ModelArguments.WeightsFolder(args);
        var generation = GenerationArguments.Parse(args);
        if (args.Value("input") is { } input)
        {
            if (args.Value("prompt") is not null || args.Value("image") is not null) throw new UsageException("--input gives the questions: leave out --prompt and --image");
            string target = args.Value("output") ?? throw new UsageException("--input needs --output");
            int batch = args.Int("batch_size");
            if (batch < 1) throw new UsageException("--batch_size must be at least 1");
            var questions = Questions(input);
            using var batched = ModelArguments.Load(args, weights);
            var started = System.Diagnostics.Stopwatch.StartNew();
            var lines = new List<string>(questions.Count);
            foreach (var chunk in questions.Chunk(batch))
            {
                var answers = batched.Predictor.Answers([.. chunk.Select(q => q.Input)], generation);
                lines.AddRange(chunk.Zip(answers, (q, a) => JsonSerializer.Serialize(new { id = q.Id, answer = a })));
                output.WriteLine($"answered {lines.Count}/{questions.Count}");
            }
            AtomicFile.WriteAllText(target, string.Concat(lines.Select(l => l + "\n")));
            output.WriteLine($"wrote    {Path.GetFullPath(target)} ({questions.Count} answers, {started.Elapsed.TotalSeconds:F1} s, batches of {batch})");
            return ExitCodes.Ok;
        }
        string? image = ModelArguments.ImageFile(args);
        using var model = ModelArguments.Load(args, weights);
        model.Predictor.Answer(new VlmInput { Image = image ?? "", Prompt = args.Value("prompt") ?? throw new UsageException("--prompt is required (or --input)") }, output.Write, generation);
        output.WriteLine();
        return ExitCodes.Ok;
    }

    /// <summary>Every line of the questions file, checked before any model is loaded: an error names the file, line and reason.</summary>
    static List<(string Id, VlmInput Input)> Questions(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such questions file (--input)", path);
        string folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var questions = new List<(string, VlmInput)>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            string Where() => $"{path}, line {number}";
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{Where()}: not a JSON object");
                string? Text(string name) => root.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null
                    ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw new InvalidDataException($"{Where()}: \"{name}\" must be a string")
                    : null;
                string prompt = Text("prompt") is { Length: > 0 } p ? p : throw new InvalidDataException($"{Where()}: no \"prompt\"");
                string id = Text("id") ?? number.ToString(System.Globalization.CultureInfo.InvariantCulture);
                string? image = Text("image");
                if (image is not null)
                {
                    image = Path.GetFullPath(Path.Combine(folder, image));
                    if (!File.Exists(image)) throw new InvalidDataException($"{Where()}: image {image} does not exist");
                }
                string[] history = root.TryGetProperty("history", out var h) && h.ValueKind == JsonValueKind.Array
                    ? [.. h.EnumerateArray().Select(t => t.ValueKind == JsonValueKind.String ? t.GetString()! : throw new InvalidDataException($"{Where()}: \"history\" must be a list of strings"))]
                    : [];
                questions.Add((id, new VlmInput { Image = image ?? "", Prompt = prompt, History = history }));
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{Where()}: not valid JSON ({e.Message})");
            }
        }
        if (questions.Count == 0) throw new InvalidDataException($"{path}: no questions");
        return questions;
    }
}
