using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Llama;
using Vlm.Trainers.Models.Text;

namespace Vlm.Tests.Trainers.Models.Families;

/// <summary>Llama's config fields as Hugging Face reads them, and what is refused rather than run wrongly.</summary>
public class LlamaConfigTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    HfConfig Config(string extra)
    {
        string path = _root.File($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $$"""{"model_type": "llama", "vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4{{extra}}}""");
        return HfConfig.Load(path);
    }

    [Fact]
    public void Absent_fields_take_transformers_defaults()
    {
        var c = LlamaConfig.From(Config(""));
        Assert.Equal(8, c.HeadDim);
        Assert.Equal(4, c.NumKeyValueHeads);
        Assert.False(c.AttentionBias);
        Assert.False(c.TieWordEmbeddings);
        Assert.Null(c.RopeScaling);
        Assert.Equal(2048, c.ContextLength);
    }

    [Fact]
    public void Attention_and_mlp_bias_add_bias_tensors_where_transformers_has_them()
    {
        using var plain = new LlamaForCausalLM(LlamaConfig.From(Config("")));
        using var biased = new LlamaForCausalLM(LlamaConfig.From(Config(""", "attention_bias": true, "mlp_bias": true""")));
        var extra = biased.state_dict().Keys.Except(plain.state_dict().Keys).Where(k => k.StartsWith("model.layers.0.", StringComparison.Ordinal)).Order().ToArray();
        Assert.Equal(
            ["model.layers.0.mlp.down_proj.bias", "model.layers.0.mlp.gate_proj.bias", "model.layers.0.mlp.up_proj.bias",
             "model.layers.0.self_attn.k_proj.bias", "model.layers.0.self_attn.o_proj.bias", "model.layers.0.self_attn.q_proj.bias", "model.layers.0.self_attn.v_proj.bias"],
            extra);
    }

    [Fact]
    public void An_explicit_head_dim_sizes_the_projections()
    {
        using var model = new LlamaForCausalLM(LlamaConfig.From(Config(""", "head_dim": 16, "num_key_value_heads": 2""")));
        var shapes = model.state_dict().ToDictionary(p => p.Key, p => p.Value.shape);
        Assert.Equal(new long[] { 64, 32 }, shapes["model.layers.0.self_attn.q_proj.weight"]);
        Assert.Equal(new long[] { 32, 32 }, shapes["model.layers.0.self_attn.k_proj.weight"]);
        Assert.Equal(new long[] { 32, 64 }, shapes["model.layers.0.self_attn.o_proj.weight"]);
    }

    [Theory]
    [InlineData(""", "rope_scaling": {"rope_type": "yarn", "factor": 4}""", "rope_scaling type 'yarn' is not implemented")]
    [InlineData(""", "rope_scaling": {"factor": 4}""", "neither \"rope_type\" nor \"type\"")]
    [InlineData(""", "rope_scaling": {"rope_type": "linear", "factor": 0}""", "\"factor\" is 0")]
    [InlineData(", \"hidden_act\": \"gelu\"", "hidden_act 'gelu' is not implemented")]
    [InlineData(""", "num_key_value_heads": 3""", "must be a multiple of num_key_value_heads 3")]
    public void What_is_not_implemented_is_refused_naming_the_file(string extra, string message)
    {
        var config = Config(extra);
        var e = Assert.Throws<CheckpointFormatException>(() => LlamaConfig.From(config));
        Assert.Contains(message, e.Message);
        Assert.Contains(config.Path.Split('#')[0], e.Message);
    }

    [Fact]
    public void Linear_scaling_divides_every_frequency_and_llama3_keeps_the_fast_ones_and_slows_the_slow_ones()
    {
        var plain = RopeScaling.InverseFrequencies(null, 16, 10000);
        var linear = RopeScaling.InverseFrequencies(RopeScaling.From(Config(""", "rope_scaling": {"type": "linear", "factor": 2}"""))!, 16, 10000);
        Assert.Equal(plain.Select(f => f / 2), linear);
        var llama3 = RopeScaling.InverseFrequencies(new RopeScaling { Type = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 64 }, 16, 10000);
        Assert.Equal(plain[0], llama3[0]); // wavelength 6.3 < 64 / 4: kept
        Assert.Equal(plain[^1] / 8, llama3[^1]); // wavelength far above 64: slowed by the factor
        Assert.InRange(llama3[1], plain[1] / 8, plain[1]); // between: blended
        Assert.NotEqual(plain[1], llama3[1]);
    }

    [Fact]
    public void A_scaling_written_back_reads_the_same()
    {
        var scaling = RopeScaling.From(Config(""", "rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4, "original_max_position_embeddings": 8192}"""))!;
        string path = _root.File("written.json");
        File.WriteAllText(path, new System.Text.Json.Nodes.JsonObject { ["rope_scaling"] = scaling.ToJson() }.ToJsonString());
        Assert.Equal(scaling, RopeScaling.From(HfConfig.Load(path)));
    }
}
