using TorchSharp;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// The training-step benchmark's shapes, shared with the PyTorch peer script (same numbers on its
/// command line): a Qwen2 LLM of 4 layers, hidden 256, over 600-token sequences whose first 256
/// positions stand for image features and whose last 344 carry labels.
/// </summary>
internal sealed record StepShape
{
    public int Layers { get; init; } = 4;
    public int Hidden { get; init; } = 256;
    public int Heads { get; init; } = 4;
    public int KeyValueHeads { get; init; } = 2;
    public int Intermediate { get; init; } = 1024;
    public int Vocab { get; init; } = 151936;
    public int Batch { get; init; } = 4;
    public int Tokens { get; init; } = 600;
    public int ImageTokens { get; init; } = 256;

    public int Labelled => Tokens - ImageTokens;

    /// <summary>
    /// <c>vlm demo</c>'s LLM step: hidden 64, 4 layers, the demo's trimmed 478-token vocabulary, batch 16
    /// of ~96-token rows (64 image features, the question and the answer). Tiny matrices: what it
    /// measures is per-operation overhead, not arithmetic.
    /// </summary>
    public static StepShape Demo { get; } = new() { Layers = 4, Hidden = 64, Heads = 4, KeyValueHeads = 2, Intermediate = 128, Vocab = 478, Batch = 16, Tokens = 96, ImageTokens = 64 };

    /// <summary>
    /// The GPU check's step: Qwen2-0.5B's LLM (24 layers, hidden 896, 14 heads, 2 key-value heads,
    /// intermediate 4864, its 151,936-token vocabulary), batch 8 of 1,024-token rows whose first 256
    /// stand for image features.
    /// </summary>
    public static StepShape Gpu { get; } = new() { Layers = 24, Hidden = 896, Heads = 14, KeyValueHeads = 2, Intermediate = 4864, Vocab = 151936, Batch = 8, Tokens = 1024, ImageTokens = 256 };

    public Qwen2Config Config => new()
    {
        VocabSize = Vocab, HiddenSize = Hidden, IntermediateSize = Intermediate, NumHiddenLayers = Layers,
        NumAttentionHeads = Heads, NumKeyValueHeads = KeyValueHeads, TieWordEmbeddings = true,
    };

    /// <summary>
    /// A model of these shapes (the tower is minimal and unused: the step feeds token ids only). Its
    /// image token is 0 unless given: steps whose batches are padded (with id 0) need another.
    /// </summary>
    public VlmModel Build(long imageTokenId = 0) => new(new VisionConfig { HiddenSize = 32, IntermediateSize = 64, NumHiddenLayers = 1, NumAttentionHeads = 2, ImageSize = 16, PatchSize = 8 }, new Qwen2ForCausalLM(Config), imageTokenId);

    /// <summary>The (m, k, n) of every matrix product of one forward pass, with how many times each runs.</summary>
    public IEnumerable<(long M, long K, long N, int Count)> Products()
    {
        long rows = (long)Batch * Tokens, head = Hidden / Heads;
        yield return (rows, Hidden, Hidden, Layers); // q
        yield return (rows, Hidden, KeyValueHeads * head, 2 * Layers); // k, v
        yield return (rows, Hidden, Hidden, Layers); // o
        yield return (rows, Hidden, Intermediate, 2 * Layers); // gate, up
        yield return (rows, Intermediate, Hidden, Layers); // down
        yield return ((long)Batch * Labelled, Hidden, Vocab, 1); // the head, on labelled rows only
    }

    /// <summary>
    /// Bare fp32 matrix products at the model's sizes, weighted as the model runs them: the machine's
    /// rate for this work (FLOP/s), each product timed over <paramref name="repeats"/> runs after one warm-up.
    /// </summary>
    public double GemmRate(int repeats = 3)
    {
        double flops = 0, seconds = 0;
        using var _ = torch.no_grad();
        using var generator = new torch.Generator(0); // its own: the global random stream is left as it was
        foreach (var (m, k, n, count) in Products())
        {
            using var a = torch.randn(m, k, generator: generator);
            using var b = torch.randn(k, n, generator: generator);
            using (a.mm(b)) { }
            var clock = System.Diagnostics.Stopwatch.StartNew();
            for (int i = 0; i < repeats; i++)
                using (a.mm(b)) { }
            flops += 2.0 * m * k * n * count;
            seconds += clock.Elapsed.TotalSeconds / repeats * count;
        }
        return flops / seconds;
    }

    /// <summary>Floating-point operations of one training step: forward products and attention, times 3 for the backward pass.</summary>
    public double StepFlops()
    {
        double forward = Products().Sum(p => 2.0 * p.M * p.K * p.N * p.Count);
        forward += Layers * 2 * (2.0 * Batch * Tokens * Tokens * Hidden); // QK^T and AV, counted in full as MFU conventions do
        return 3 * forward;
    }
}
