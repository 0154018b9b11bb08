using System.Text.Json.Nodes;
using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models;
using Vlm.Trainers.Models.Llama;
using Vlm.Trainers.Models.Text;

namespace Vlm.Tests.Trainers.Models.Families;

/// <summary>The family registry: a family is found by <c>model_type</c>, and a new one needs its own types and one registration, nothing else.</summary>
[Collection(TorchRandomCollection.Name)]
public class TextFamiliesTests
{
    /// <summary>A family defined here alone: a Llama-shaped decoder under its own <c>model_type</c> and config record.</summary>
    sealed class FakeFamily : TextFamily<FakeConfig>
    {
        public const string Type = "fake_lm_for_tests";
        public static readonly FakeFamily Instance = new();
        public override IReadOnlyList<string> ModelTypes => [Type];
        protected override FakeConfig ReadConfig(HfConfig config) => FakeConfig.From(config);
        protected override FakeConfig TinyConfig(TinyModelOptions options, int vocabulary) => new(vocabulary, options.TextHiddenSize, options.TextLayers, options.TextHeads);
        protected override CausalLanguageModel Build(FakeConfig config) => new FakeForCausalLM(config);
        public override string DefaultLoraTargets => "q_proj|v_proj";
        public override bool IsTransformersBuiltIn => false;
        public override void WriteTinyTokenizer(string folder, TinyModelOptions options)
        {
            foreach (var file in new[] { TokenizerFolder.TokenizerJson, TokenizerFolder.TokenizerConfigJson })
                File.Copy(Path.Combine(BuiltInTokenizer.Folder, file), Path.Combine(folder, file), overwrite: true);
        }
    }

    sealed record FakeConfig(int VocabSize, int HiddenSize, int NumHiddenLayers, int Heads) : ILanguageModelConfig
    {
        public int ContextLength => 128;
        public static FakeConfig From(HfConfig c) => new(c.Count("vocab_size"), c.Count("hidden_size"), c.Count("num_hidden_layers"), c.Count("num_attention_heads"));
        public IEnumerable<ExpectedTensor> ExpectedTensors() => [];
        public JsonObject ToJson() => new()
        {
            ["model_type"] = FakeFamily.Type, ["vocab_size"] = VocabSize, ["hidden_size"] = HiddenSize,
            ["num_hidden_layers"] = NumHiddenLayers, ["num_attention_heads"] = Heads,
        };
        public DecoderSpec Decoder => new()
        {
            VocabSize = VocabSize, HiddenSize = HiddenSize, IntermediateSize = 2 * HiddenSize, NumHiddenLayers = NumHiddenLayers,
            NumAttentionHeads = Heads, NumKeyValueHeads = Heads, HeadDim = HiddenSize / Heads, RmsNormEps = 1e-6, RopeTheta = 10000,
        };
    }

    sealed class FakeForCausalLM(FakeConfig config) : DecoderForCausalLM(nameof(FakeForCausalLM), config.Decoder)
    {
        public override ILanguageModelConfig Settings => config;
        public override TextFamily Family => FakeFamily.Instance;
    }

    [Fact]
    public void A_family_registered_from_outside_the_project_writes_loads_and_trains_its_folders_by_model_type()
    {
        using var root = new TempFolder();
        TextFamilies.Register(FakeFamily.Instance);
        try
        {
            var (llm, vision) = TinyModelFolders.Write(root.File("models"), new TinyModelOptions
            {
                TextModelType = FakeFamily.Type, TextHiddenSize = 16, TextLayers = 1, TextHeads = 2, VisionHiddenSize = 16, VisionLayers = 1,
                VisionIntermediateSize = 32, ImageSize = 16, PatchSize = 8,
            });
            Assert.Equal(FakeFamily.Type, (string?)JsonNode.Parse(File.ReadAllText(Path.Combine(llm, "config.json")))!["model_type"]);
            using var model = VlmModelFolder.FromBases(llm, vision, imageTokenId: 5);
            Assert.IsType<FakeForCausalLM>(model.LanguageModel);
            Assert.Equal("q_proj|v_proj", model.LanguageModel.DefaultLoraTargets);
            using var ids = TorchSharp.torch.tensor(new long[] { 1, 2, 3, 4 }, [1, 4]);
            using var logits = model.LanguageModel.forward(ids);
            Assert.Equal(new long[] { 1, 4, model.LanguageModel.VocabSize }, logits.shape);
        }
        finally
        {
            TextFamilies.Unregister(FakeFamily.Instance);
        }
        Assert.Null(TextFamilies.Find(FakeFamily.Type));
    }

    [Fact]
    public void A_model_type_is_registered_once()
    {
        var e = Assert.Throws<ArgumentException>(() => TextFamilies.Register(LlamaFamily.Instance));
        Assert.Contains("'llama' is already registered", e.Message);
    }

    [Fact]
    public void An_unknown_model_type_names_the_config_and_the_types_there_are()
    {
        using var root = new TempFolder();
        string path = root.File("config.json");
        File.WriteAllText(path, """{"model_type": "mamba", "vocab_size": 8, "hidden_size": 8}""");
        var e = Assert.Throws<CheckpointFormatException>(() => CausalLanguageModel.Create(HfConfig.Load(path)));
        Assert.Contains(path, e.Message);
        Assert.Contains("model_type 'mamba'", e.Message);
        foreach (string known in new[] { "qwen2", "qwen", "llama" }) Assert.Contains(known, e.Message);
    }

    [Theory]
    [InlineData("qwen2", "Qwen2ForCausalLM")]
    [InlineData("qwen", "QWenLMHeadModel")]
    [InlineData("llama", "LlamaForCausalLM")]
    public void Each_family_writes_a_config_that_builds_the_same_model_again(string type, string architecture)
    {
        using var root = new TempFolder();
        var family = TextFamilies.Find(type)!;
        using var tiny = family.Tiny(new TinyModelOptions { TextHiddenSize = 16, TextLayers = 1, TextHeads = 2, TextKeyValueHeads = 1, TextIntermediateSize = 24 }, vocabulary: 40);
        var json = tiny.ConfigJson();
        Assert.Equal(type, (string?)json["model_type"]);
        Assert.Equal(architecture, (string?)json["architectures"]![0]);
        string path = root.File("config.json");
        File.WriteAllText(path, json.ToJsonString());
        using var again = CausalLanguageModel.Create(HfConfig.Load(path));
        Assert.Same(family, again.Family);
        Assert.Equal(tiny.state_dict().ToDictionary(p => p.Key, p => p.Value.shape), again.state_dict().ToDictionary(p => p.Key, p => p.Value.shape));
    }
}
