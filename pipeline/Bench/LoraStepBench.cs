using System.Text.Json;
using TorchSharp;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Training;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// One LoRA training step as the original trains (frozen base in the given type, adapters float32 on
/// every linear layer of the LLM, AdamW on the adapters), on the given device: what the GPU check
/// (<c>tools/gpu/check.sh</c>) times against Hugging Face transformers + peft running the same shape
/// (<c>tools/gpu/hf_lora_step.py</c>, same numbers on its command line).
/// </summary>
internal static class LoraStepBench
{
    public const string Child = "lora-step";
    public const string Targets = "q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj";

    public static void RunChild(StepShape shape, int steps, int rank, Device device, ScalarType type, TextWriter output)
    {
        manual_seed(1);
        using var model = shape.Build();
        model.to(device);
        model.to(type);
        model.train();
        foreach (var p in model.parameters()) p.requires_grad = false;
        LoraLayers.Add(model.LanguageModel, new LoraOptions { Rank = rank, Alpha = 2 * rank, Dropout = 0, TargetModules = Targets });
        var roles = ParameterRoles.Of(model.LanguageModel);
        var adapters = model.LanguageModel.named_parameters().Where(p => roles[p.name] == ParameterRole.Adapter).Select(p => p.parameter).ToList();
        foreach (var p in adapters) p.requires_grad = true;
        using var optimizer = new AdamW([new ParamGroup([.. adapters], 1e-4, 0)]);
        using var ids = randint(1, shape.Vocab, [shape.Batch, shape.Tokens], device: device);
        using var keep = ones_like(ids);
        using var labels = ids.clone();
        labels[.., ..shape.ImageTokens] = tensor(-100L);
        var times = new List<double>();
        for (int step = 0; step < steps + 1; step++)
        {
            double seconds = BenchStep.Run(model, optimizer, ids, keep, labels);
            if (step > 0) times.Add(seconds); // the first step allocates the optimizer state
        }
        times.Sort();
        double median = times[times.Count / 2];
        output.WriteLine(JsonSerializer.Serialize(new
        {
            step_seconds = median, step_seconds_min = times[0], step_seconds_max = times[^1],
            tokens_per_second = (double)shape.Batch * shape.Tokens / median,
            trainable_parameters = adapters.Sum(p => p.numel()), device = device.ToString(), type = type.ToString(),
        }));
    }
}
