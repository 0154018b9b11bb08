using Vlm.Tests.TestSupport;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Qwen;
using Vlm.Trainers.Models.Qwen2;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Models;

/// <summary>
/// The original Qwen-7B architecture (QWenLMHeadModel) checked against Qwen2 with the same weights:
/// a Qwen2 without grouped-query attention, untied, is the same network under other names (fused
/// q/k/v in c_attn, w1 = up, w2 = gate, half of intermediate_size per MLP branch), so logits must
/// agree wherever Qwen-7B's long-context extensions are off. Those are checked on their own against
/// Qwen's formulas.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class QwenArchitectureTests
{
    const int Hidden = 32, Heads = 4, Layers = 2, Width = 24, Vocab = 64;
    const double Atol = 1e-4;

    static Qwen2Config Qwen2Equivalent(int layers = Layers, double theta = 10000) => new()
    {
        VocabSize = Vocab, HiddenSize = Hidden, IntermediateSize = Width, NumHiddenLayers = layers, NumAttentionHeads = Heads,
        NumKeyValueHeads = Heads, RopeTheta = theta, RmsNormEps = 1e-6, TieWordEmbeddings = false,
    };

    static QwenConfig Qwen(int layers = Layers, int seqLength = 2048, bool ntk = true, bool logn = true) => new()
    {
        VocabSize = Vocab, HiddenSize = Hidden, IntermediateSize = 2 * Width, NumHiddenLayers = layers, NumAttentionHeads = Heads,
        KvChannels = Hidden / Heads, RotaryEmbBase = 10000, SeqLength = seqLength, UseDynamicNtk = ntk, UseLognAttn = logn,
    };

    /// <summary>Copies a Qwen2 model's weights into Qwen-7B's names.</summary>
    internal static void CopyInto(Qwen2ForCausalLM source, QwenLMHeadModel target)
    {
        var from = source.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var to = target.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var set = new HashSet<string>();
        using var _ = no_grad();
        void Set(string name, Tensor value)
        {
            to[name].copy_(value);
            set.Add(name);
        }
        Set("transformer.wte.weight", from["model.embed_tokens.weight"]);
        Set("transformer.ln_f.weight", from["model.norm.weight"]);
        Set("lm_head.weight", from["lm_head.weight"]);
        for (int i = 0; i < source.Config.NumHiddenLayers; i++)
        {
            string q2 = $"model.layers.{i}.", q = $"transformer.h.{i}.";
            Set(q + "ln_1.weight", from[q2 + "input_layernorm.weight"]);
            Set(q + "ln_2.weight", from[q2 + "post_attention_layernorm.weight"]);
            foreach (var kind in new[] { "weight", "bias" })
                Set(q + "attn.c_attn." + kind, cat([from[q2 + "self_attn.q_proj." + kind], from[q2 + "self_attn.k_proj." + kind], from[q2 + "self_attn.v_proj." + kind]], 0));
            Set(q + "attn.c_proj.weight", from[q2 + "self_attn.o_proj.weight"]);
            Set(q + "mlp.w1.weight", from[q2 + "mlp.up_proj.weight"]);
            Set(q + "mlp.w2.weight", from[q2 + "mlp.gate_proj.weight"]);
            Set(q + "mlp.c_proj.weight", from[q2 + "mlp.down_proj.weight"]);
        }
        Assert.Equal(to.Keys.OrderBy(k => k), set.OrderBy(k => k));
    }

    static (Qwen2ForCausalLM Qwen2, QwenLMHeadModel Qwen) Pair(QwenConfig qwen, Qwen2Config? qwen2 = null, long seed = 3)
    {
        manual_seed(seed);
        var a = new Qwen2ForCausalLM(qwen2 ?? Qwen2Equivalent(qwen.NumHiddenLayers));
        var b = new QwenLMHeadModel(qwen);
        CopyInto(a, b);
        a.eval();
        b.eval();
        return (a, b);
    }

    static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<float>();

    [Fact]
    public void Same_logits_as_the_equivalent_Qwen2()
    {
        var (qwen2, qwen) = Pair(Qwen());
        using var _ = no_grad();
        var ids = randint(0, Vocab, [2, 9]);
        var expected = qwen2.forward(ids);
        Assert.True(MaxDiff(qwen.forward(ids), expected) < Atol, $"max difference {MaxDiff(qwen.forward(ids), expected)}");
        Assert.True(MaxDiff(qwen.forward(ids), qwen2.forward(randint(0, Vocab, [2, 9]))) > 1e-2); // the comparison can fail
    }

    [Fact]
    public void Left_padding_and_the_kv_cache_give_the_unpadded_logits()
    {
        // Qwen-7B counts positions over padding too; rotary attention sees only differences, so a
        // left-padded row must still give its unpadded logits.
        var (qwen2, qwen) = Pair(Qwen());
        using var _ = no_grad();
        var ids = randint(0, Vocab, [1, 7]);
        var expected = qwen2.forward(ids);
        var padded = cat([zeros([1, 3], int64), ids], 1);
        var keep = cat([zeros([1, 3], int64), ones([1, 7], int64)], 1);
        var logits = qwen.Head(qwen.Forward(qwen.EmbedTokens.forward(padded), keep, null));
        Assert.True(MaxDiff(logits[.., 3..], expected) < Atol);

        using var cache = new KvCache(Layers);
        var prompt = qwen.Head(qwen.Forward(qwen.EmbedTokens.forward(padded[.., ..7]), keep[.., ..7], cache));
        var steps = new List<Tensor> { prompt[.., 3..] };
        for (int t = 7; t < 10; t++)
            steps.Add(qwen.Head(qwen.Forward(qwen.EmbedTokens.forward(padded[.., t..(t + 1)]), keep[.., ..(t + 1)], cache)));
        Assert.True(MaxDiff(cat(steps, 1), expected) < Atol);
    }

    [Theory]
    [InlineData(1000, 2048, 1)]
    [InlineData(2048, 2048, 1)]
    [InlineData(2049, 2048, 3)]
    [InlineData(4096, 2048, 3)]
    [InlineData(4097, 2048, 7)]
    [InlineData(12, 8, 3)]
    public void Dynamic_ntk_alpha_follows_qwens_formula(long length, int seqLength, double alpha) =>
        Assert.Equal(alpha, QwenLongContext.NtkAlpha(length, seqLength));

    [Fact]
    public void Log_n_scale_starts_after_the_training_length()
    {
        Assert.Equal(1f, QwenLongContext.LognScale(2047, 2048));
        Assert.Equal((float)(12 / 11.0), QwenLongContext.LognScale(4095, 2048), 5);
        Assert.Equal(10000 * Math.Pow(3, 8 / 6.0), QwenLongContext.RotaryBase(10000, 3, 8), 6);
    }

    [Fact]
    public void Beyond_seq_length_dynamic_ntk_is_a_larger_rotary_base_at_inference_only()
    {
        // 12 tokens past a training length of 8: alpha 3, base 10000 * 3^(8/6) for head dim 8.
        double scaled = QwenLongContext.RotaryBase(10000, 3, Hidden / Heads);
        var (plain, qwen) = Pair(Qwen(seqLength: 8, logn: false));
        var stretched = new Qwen2ForCausalLM(Qwen2Equivalent(theta: scaled));
        stretched.load_state_dict(plain.state_dict());
        stretched.eval();
        using var _ = no_grad();
        var ids = randint(0, Vocab, [1, 12]);
        Assert.True(MaxDiff(qwen.forward(ids), stretched.forward(ids)) < Atol);
        Assert.True(MaxDiff(qwen.forward(ids), plain.forward(ids)) > 1e-3);
        Assert.True(MaxDiff(qwen.forward(ids[.., ..8]), plain.forward(ids[.., ..8])) < Atol); // within the training length: unchanged
        qwen.train();
        Assert.True(MaxDiff(qwen.forward(ids), plain.forward(ids)) < Atol); // training never stretches
    }

    [Fact]
    public void In_a_padded_batch_each_row_stretches_by_its_own_length()
    {
        // Lengths 17 and 12 past a training length of 8: alphas 7 and 3, chosen per row as Qwen does.
        var (_, qwen) = Pair(Qwen(seqLength: 8, logn: false));
        using var _ = no_grad();
        var longer = randint(0, Vocab, [1, 17]);
        var shorter = randint(0, Vocab, [1, 12]);
        var ids = cat([longer, cat([zeros([1, 5], int64), shorter], 1)], 0);
        var keep = cat([ones([1, 17], int64), cat([zeros([1, 5], int64), ones([1, 12], int64)], 1)], 0);
        var logits = qwen.Head(qwen.Forward(qwen.EmbedTokens.forward(ids), keep, null));
        Assert.True(MaxDiff(logits[..1], qwen.forward(longer)) < Atol);
        Assert.True(MaxDiff(logits[1.., 5..], qwen.forward(shorter)) < Atol);
    }

    [Fact]
    public void Beyond_seq_length_log_n_scales_each_query_by_its_position()
    {
        // One layer: the logits at position p depend on p's query only, so they must equal those of
        // a Qwen2 whose q_proj is scaled by log_8(p + 1).
        const int seqLength = 8, length = 11;
        var (plain, qwen) = Pair(Qwen(layers: 1, seqLength: seqLength, ntk: false), Qwen2Equivalent(layers: 1));
        using var _ = no_grad();
        var ids = randint(0, Vocab, [1, length]);
        var logits = qwen.forward(ids);
        Assert.True(MaxDiff(logits[.., ..seqLength], plain.forward(ids)[.., ..seqLength]) < Atol);
        for (int p = seqLength; p < length; p++)
        {
            float scale = QwenLongContext.LognScale(p, seqLength);
            Assert.True(scale > 1);
            var reference = new Qwen2ForCausalLM(Qwen2Equivalent(layers: 1));
            reference.load_state_dict(plain.state_dict());
            foreach (var (name, param) in reference.named_parameters().Where(n => n.name.Contains("q_proj"))) param.mul_(scale);
            reference.eval();
            Assert.True(MaxDiff(logits[.., p], reference.forward(ids)[.., p]) < Atol, $"position {p}");
            Assert.True(MaxDiff(logits[.., p], plain.forward(ids)[.., p]) > 1e-4, $"position {p} is not scaled");
        }
    }
}
