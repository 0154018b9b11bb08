using System.Text.Json;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Vision;
using Vlm.Trainers.Runtime;
using Vlm.Trainers.Training;
using static TorchSharp.torch;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// Where the loss, not the model, sets the memory: a hidden-32, one-layer model with Qwen's whole
/// 151,936-token vocabulary, LoRA-trained on 4 rows of ~1,000-token answers for 5 steps, with the
/// allocator tuned as <c>vlm train</c> tunes it; the fused chunked loss against the plain one, each
/// in a process of its own for its peak RSS.
/// </summary>
internal static class LossMemoryBench
{
    public const string Child = "long-answers";
    const int Batch = 4, Tokens = 1024, Answer = 1000, Vocab = 151936, Steps = 5;
    const double BudgetMegabytes = 4096;

    public static IEnumerable<BenchRow> Run(bool quick, Action<string> log)
    {
        string[] size = quick ? ["--quick"] : [];
        var fused = PeerProcess.Self(["bench", "--child", Child, .. size]);
        double fusedPeak = fused.GetProperty("peak_bytes").GetInt64() / 1048576.0, fusedStep = fused.GetProperty("step_seconds").GetDouble();
        string plainNote;
        try
        {
            var plain = PeerProcess.Self(["bench", "--child", Child, "--plain_loss", .. size]);
            double plainPeak = plain.GetProperty("peak_bytes").GetInt64() / 1048576.0, plainStep = plain.GetProperty("step_seconds").GetDouble();
            plainNote = $"plain loss: {plainPeak:F0} MB; s/step fused {fusedStep:F2}, plain {plainStep:F2}";
        }
        catch (InvalidOperationException e)
        {
            // The plain path is the reference only: it peaks near 22 GB, and on a 24 GB machine the kernel sometimes ends it first.
            string code = System.Text.RegularExpressions.Regex.Match(e.Message, @"exited with (\d+)").Groups[1].Value;
            plainNote = $"plain loss: did not finish (exit {code}; it peaks at 16-23 GB, and the kernel may end it first); s/step fused {fusedStep:F2}";
        }
        log($"long answers: fused loss peak {fusedPeak:F0} MB, {fusedStep:F2} s/step; {plainNote}");
        return
        [
            new("training", $"long answers ({Batch} x {Answer:N0} labelled tokens, vocabulary {Vocab:N0}, {Steps} LoRA steps): the 4 GB budget over the peak RSS", "MB",
                BudgetMegabytes, "fused-loss peak RSS", fusedPeak, 1.0, plainNote),
        ];
    }

    public static void RunChild(bool plainLoss, bool quick, TextWriter output)
    {
        AllocatorTuning.Apply(); // as the trainer does
        manual_seed(1);
        var text = new Qwen2Config
        {
            VocabSize = quick ? 4096 : Vocab, HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 2, TieWordEmbeddings = true,
        };
        using var model = new VlmModel(new VisionConfig { HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, ImageSize = 16, PatchSize = 8 },
            new Qwen2ForCausalLM(text), imageTokenId: 0) { FusedLoss = !plainLoss };
        foreach (var p in model.parameters()) p.requires_grad = false;
        LoraLayers.Add(model.LanguageModel, new LoraOptions { Rank = 8, Alpha = 16, Dropout = 0, TargetModules = model.LanguageModel.DefaultLoraTargets });
        model.train();
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        using var optimizer = new AdamW([new ParamGroup(trainable, 1e-4, 0)]);
        int tokens = quick ? 128 : Tokens, answer = quick ? 100 : Answer;
        using var ids = randint(10, text.VocabSize, [Batch, tokens]);
        using var keep = ones_like(ids);
        using var labels = ids.clone();
        labels[.., ..(tokens - answer)] = tensor(-100L);
        var times = new List<double>();
        for (int step = 0; step < Steps; step++)
        {
            double seconds = BenchStep.Run(model, optimizer, ids, keep, labels);
            if (step > 0) times.Add(seconds);
        }
        times.Sort();
        output.WriteLine(JsonSerializer.Serialize(new { peak_bytes = PeakMemory.Bytes(), step_seconds = times[times.Count / 2] }));
    }
}
