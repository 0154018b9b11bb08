using Vlm.Datasets.Images;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Text;
using Vlm.Trainers.Models.Vision;
using static TorchSharp.torch;

namespace Vlm.Trainers.Reference;

/// <summary>
/// Runs a fixture's recorded inputs through this project's model of its kind (fp32, eval mode) and
/// compares every recorded output: the largest absolute difference against the tolerance. Outputs
/// over <c>[B, T, ...]</c> are compared at the positions <c>attention_mask</c> marks real only, since
/// what a model writes at padding is not defined by anything.
/// On another device or type (<see cref="ReferencePlacement"/>) the model and its inputs move there;
/// in bfloat16 each output is judged by its relative error (see <see cref="ReferencePlacement.Bfloat16Bound"/>).
/// </summary>
internal static class ReferenceCheck
{
    public static IReadOnlyList<ReferenceResult> Run(ReferenceFixture fixture, ReferencePlacement? placement = null)
    {
        var place = placement ?? ReferencePlacement.Cpu;
        if (NotImplemented(fixture) is { } why) return [new ReferenceResult(fixture.Folder, "*", double.NaN, 0, why, Skipped: true)];
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var inputs = SafetensorsFile.Open(fixture.Inputs);
        using var outputs = SafetensorsFile.Open(fixture.Outputs);
        Tensor Input(string name) => inputs.Contains(name) ? place.Input(inputs.Read(name)) : throw new CheckpointFormatException(fixture.Inputs, name, $"a {fixture.Kind} fixture needs input '{name}'");
        var keep = inputs.Contains("attention_mask") ? inputs.Read("attention_mask", int64) : inputs.Contains("input_ids") ? ones_like(inputs.Read("input_ids")) : null;
        var compute = Outputs(fixture, Input, name => inputs.Contains(name), keep is null ? null : place.Input(keep), place);

        var results = fixture.Kind == "image-processor" ? DecodedImages(fixture, inputs).ToList() : [];
        foreach (string name in outputs.Names.OrderBy(n => n, StringComparer.Ordinal))
        {
            double tolerance = fixture.ToleranceOf(name);
            var expected = outputs.Read(name);
            Tensor? actual;
            if (place.IsHalf && name == "generated_ids")
            {
                results.Add(new ReferenceResult(fixture.Folder, name, double.NaN, tolerance,
                    "greedy ids may differ in bfloat16 where two logits lie within its rounding; compared in float32", Skipped: true));
                continue;
            }
            try
            {
                actual = compute(name, expected)?.cpu();
            }
            catch (NotSupportedException e)
            {
                results.Add(new ReferenceResult(fixture.Folder, name, double.NaN, tolerance, e.Message, Skipped: true));
                continue;
            }
            if (actual is null)
            {
                results.Add(new ReferenceResult(fixture.Folder, name, double.NaN, tolerance, $"a {fixture.Kind} fixture has no output '{name}'"));
                continue;
            }
            if (!actual.shape.SequenceEqual(expected.shape))
            {
                results.Add(new ReferenceResult(fixture.Folder, name, double.NaN, tolerance,
                    $"shape [{string.Join(", ", actual.shape)}], expected [{string.Join(", ", expected.shape)}]"));
                continue;
            }
            var difference = (actual.to(float64) - expected.to(float64)).abs();
            var real = keep is not null && difference.dim() >= 2 && difference.shape[0] == keep.shape[0] && difference.shape[1] == keep.shape[1] && name != "generated_ids"
                ? keep.to(float64).view([.. keep.shape, .. Enumerable.Repeat(1L, (int)difference.dim() - 2)])
                : null;
            if (real is not null) difference = difference * real;
            if (place.IsHalf && fixture.Kind != "image-processor")
            {
                var size = (real is null ? expected.to(float64) : expected.to(float64) * real).norm().item<double>();
                results.Add(new ReferenceResult(fixture.Folder, name, difference.norm().item<double>() / Math.Max(size, double.Epsilon),
                    ReferencePlacement.Bfloat16Bound, Relative: true));
            }
            else
                results.Add(new ReferenceResult(fixture.Folder, name, difference.numel() == 0 ? 0 : difference.max().item<double>(), tolerance));
        }
        return results;
    }

    /// <summary>Why this project cannot run the fixture's model at all (a kind or a LLaVA text family it does not implement yet), or null.</summary>
    static string? NotImplemented(ReferenceFixture fixture)
    {
        if (!fixture.IsImplemented) return $"kind '{fixture.Kind}' is not implemented (kinds: {string.Join(", ", ReferenceFixture.Kinds)})";
        if (fixture.Kind != "llava" || fixture.Checkpoint is null) return null;
        string config = Path.Combine(fixture.Checkpoint, "config.json");
        if (!File.Exists(config)) return null; // loading says what is missing
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(config));
        string? text = doc.RootElement.TryGetProperty("text_config", out var t) && t.TryGetProperty("model_type", out var m) ? m.GetString() : null;
        return text is null || TextFamilies.Find(text) is { IsTransformersBuiltIn: true } ? null
            : $"a LLaVA over a '{text}' language model is not implemented (text configs: {string.Join(", ", TextFamilies.All.Where(f => f.IsTransformersBuiltIn).SelectMany(f => f.ModelTypes))})";
    }

    /// <summary>For an output name and its expected tensor, what this project computes (null: not an output of this kind).</summary>
    static Func<string, Tensor, Tensor?> Outputs(ReferenceFixture fixture, Func<string, Tensor> input, Func<string, bool> has, Tensor? keep, ReferencePlacement place)
    {
        string Checkpoint() => fixture.Checkpoint ?? throw new CheckpointFormatException(Path.Combine(fixture.Folder, ReferenceFixture.FileName), null, "\"checkpoint\" is missing");
        switch (fixture.Kind)
        {
            case var _ when fixture.IsLanguageModel || fixture.Kind == "lora":
            {
                var lm = LanguageModel(Checkpoint(), fixture.Kind == "lora" ? fixture.Adapter ?? throw new CheckpointFormatException(Path.Combine(fixture.Folder, ReferenceFixture.FileName), null, "a lora fixture needs \"adapter\"") : null, place);
                Tensor Hidden() => lm.Forward(lm.EmbedTokens.forward(input("input_ids")), keep!, null);
                return (name, expected) => name switch
                {
                    "logits" => lm.Head(Hidden()),
                    "last_hidden_state" => Hidden(),
                    "loss" => Loss(lm.Head(Hidden()), input("labels")),
                    "generated_ids" => Greedy(lm, input("prompt_ids"), expected),
                    _ => null,
                };
            }
            case "llava":
            {
                var model = place.Move(VlmModelFolder.ReadLlava(Checkpoint()));
                Tensor? Pixels() => has("pixel_values") ? input("pixel_values") : null;
                return (name, expected) => name switch
                {
                    "logits" => model.Logits(input("input_ids"), keep!, Pixels()),
                    "loss" => Loss(model.Logits(input("input_ids"), keep!, Pixels()), input("labels")),
                    "generated_ids" => Continuation(input("prompt_ids"), expected, (prompt, count) =>
                        AnswerGenerator.Generate(model, prompt, ones_like(prompt), Pixels(), new GenerationOptions { MaxNewTokens = count, StopTokenIds = [] })),
                    _ => null,
                };
            }
            case "clip-vision" or "siglip-vision":
            {
                var tower = place.Move(VisionTower(Checkpoint()));
                return (name, _) => name switch
                {
                    "last_hidden_state" => tower.LastHiddenState(input("pixel_values")),
                    "hidden_states_m2" => tower.Features(input("pixel_values"), -2, dropFirst: false),
                    "pooled" => tower.ClipPooled(input("pixel_values")),
                    _ => null,
                };
            }
            default: // image-processor
            {
                var processor = new ImageProcessor(ImageProcessorConfig.Read(Path.Combine(fixture.Folder, "preprocessor_config.json")));
                return (name, _) => ImageOf(fixture, name, PixelValuesPrefix) is { } image
                    ? ProcessedImage(processor, Path.Combine(fixture.Folder, image))
                    : null;
            }
        }
    }

    const string PixelValuesPrefix = "pixel_values_", DecodedPrefix = "rgb_";

    /// <summary>The fixture's image that an output or input named <c>prefix + file name</c> belongs to.</summary>
    static string? ImageOf(ReferenceFixture fixture, string name, string prefix) =>
        name.StartsWith(prefix, StringComparison.Ordinal) ? fixture.Images.FirstOrDefault(i => Path.GetFileName(i) == name[prefix.Length..]) : null;

    static Tensor ProcessedImage(ImageProcessor processor, string path)
    {
        var image = ImageDecoder.Decode(path);
        var (height, width) = processor.OutputSize(image.Height, image.Width);
        return tensor(processor.Process(image), [1, 3, height, width]);
    }

    /// <summary>
    /// An image-processor fixture's decoded inputs (<c>rgb_&lt;file&gt;</c>, uint8 [H, W, 3], what PIL
    /// decoded) against this project's decoder, exactly: a decoder difference is then told apart from a resampling one.
    /// </summary>
    static IEnumerable<ReferenceResult> DecodedImages(ReferenceFixture fixture, SafetensorsFile inputs)
    {
        foreach (string name in inputs.Names.OrderBy(n => n, StringComparer.Ordinal))
        {
            if (ImageOf(fixture, name, DecodedPrefix) is not { } file) continue;
            var expected = inputs.Read(name, int32);
            var image = ImageDecoder.Decode(Path.Combine(fixture.Folder, file));
            var rgba = tensor(image.Pixels, [image.Height, image.Width, 4]).to(int32)[.., .., ..3];
            var result = rgba.shape.SequenceEqual(expected.shape)
                ? new ReferenceResult(fixture.Folder, name, (rgba - expected).abs().max().item<int>(), 0)
                : new ReferenceResult(fixture.Folder, name, double.NaN, 0, $"decoded [{string.Join(", ", rgba.shape)}], expected [{string.Join(", ", expected.shape)}]");
            yield return result;
        }
    }

    static CausalLanguageModel LanguageModel(string folder, string? adapter, ReferencePlacement place)
    {
        using var checkpoint = CheckpointFolder.Open(folder);
        var lm = CausalLanguageModel.Create(checkpoint.Config);
        ModuleWeights.Load(lm, checkpoint, "", key => lm.Family.IsBuffer(key) ? null : key);
        place.Move(lm); // before the adapter, which is then float32 under a bfloat16 base, as in training
        if (adapter is not null) VlmModelFolder.ReadAdapter(lm, adapter);
        lm.eval();
        return lm;
    }

    static VisionTower VisionTower(string folder)
    {
        using var checkpoint = CheckpointFolder.Open(folder);
        var tower = new VisionTower(VisionConfig.From(checkpoint.Config));
        ModuleWeights.Load(tower, checkpoint, "",
            key => key.StartsWith("vision_model.", StringComparison.Ordinal) && !key.StartsWith("vision_model.head.", StringComparison.Ordinal) ? key : null);
        tower.eval();
        return tower;
    }

    /// <summary>Hugging Face's causal-LM loss: logits at t predict labels at t + 1, -100 ignored, mean over the rest.</summary>
    static Tensor Loss(Tensor logits, Tensor labels) =>
        nn.functional.cross_entropy(logits[.., ..^1].reshape(-1, logits.shape[^1]), labels[.., 1..].reshape(-1), ignore_index: -100);

    /// <summary>
    /// Greedy ids after <paramref name="prompt"/>, as many as the fixture recorded. Hugging Face's
    /// <c>generate</c> returns the prompt and its continuation; a fixture holding the continuation alone works too.
    /// </summary>
    static Tensor Continuation(Tensor prompt, Tensor expected, Func<Tensor, int, long[][]> generate)
    {
        var given = prompt.cpu(); // compared and joined on the CPU, where the expected ids are; generated where the model is
        long p = given.shape[1];
        bool withPrompt = expected.shape[1] > p && expected[.., ..(int)p].eq(given).all().item<bool>();
        int count = (int)(expected.shape[1] - (withPrompt ? p : 0));
        var rows = generate(prompt, count);
        var ids = stack(rows.Select(r => tensor(r.Concat(Enumerable.Repeat(-1L, count - r.Length)).ToArray())));
        return withPrompt ? cat([given, ids], 1) : ids;
    }

    static Tensor Greedy(CausalLanguageModel lm, Tensor prompt, Tensor expected) => Continuation(prompt, expected, (ids, count) =>
    {
        using var cache = new KvCache(lm.NumHiddenLayers);
        var chosen = new List<Tensor>();
        var keep = ones_like(ids);
        var next = lm.Head(lm.Forward(lm.EmbedTokens.forward(ids), keep, cache)[.., -1]).argmax(-1, keepdim: true);
        for (int i = 0; i < count; i++)
        {
            chosen.Add(next);
            if (i == count - 1) break;
            keep = cat([keep, ones_like(next)], 1);
            next = lm.Head(lm.Forward(lm.EmbedTokens.forward(next), keep, cache)[.., -1]).argmax(-1, keepdim: true);
        }
        var all = cat(chosen, 1);
        return [.. Enumerable.Range(0, (int)all.shape[0]).Select(r => all[r].data<long>().ToArray())];
    });
}
