using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Llama;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Text;
using Vlm.Trainers.Models.Vision;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Models.Families;

/// <summary>A LLaVA over a Llama LLM written as Hugging Face's LlavaForConditionalGeneration folder reads back into the same model.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class LlamaLlavaFolderTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    [Fact]
    public void A_llama_llava_folder_reads_back_with_the_same_logits_and_config()
    {
        manual_seed(5);
        var text = new LlamaConfig
        {
            VocabSize = 50, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 4,
            AttentionBias = true, RopeScaling = new RopeScaling { Type = "llama3", Factor = 8, OriginalMaxPositionEmbeddings = 16 },
        };
        using var model = new VlmModel(new VisionConfig { HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 1, NumAttentionHeads = 2, ImageSize = 16, PatchSize = 8 },
            new LlamaForCausalLM(text), imageTokenId: 49);
        model.eval();
        VlmModelFolder.WriteLlava(model, _root.File("llava"));

        using var loaded = VlmModelFolder.ReadLlava(_root.File("llava"));
        var read = Assert.IsType<LlamaForCausalLM>(loaded.LanguageModel);
        Assert.Equal(text, read.Config);
        using var _ = no_grad();
        var ids = tensor(new long[] { 3, 49, 49, 49, 49, 7, 8 }, [1, 7]);
        var pixels = randn(1, 3, 16, 16);
        var keep = ones_like(ids);
        Assert.True(model.Logits(ids, keep, pixels).allclose(loaded.Logits(ids, keep, pixels), rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void A_llava_folder_with_a_tensor_of_no_part_is_refused_naming_it()
    {
        manual_seed(5);
        using (var model = new VlmModel(new VisionConfig { HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 1, NumAttentionHeads = 2, ImageSize = 16, PatchSize = 8 },
            new LlamaForCausalLM(new LlamaConfig { VocabSize = 50, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 4 }), imageTokenId: 49))
            VlmModelFolder.WriteLlava(model, _root.File("llava"));
        string weights = _root.File("llava/model.safetensors");
        List<KeyValuePair<string, Tensor>> tensors;
        using (var file = Vlm.Trainers.Checkpoints.SafetensorsFile.Open(weights))
            tensors = [.. file.Names.Select(n => KeyValuePair.Create(n, file.Read(n))), KeyValuePair.Create("text_model.embeddings.weight", zeros(4, 4))];
        Vlm.Trainers.Checkpoints.SafetensorsWriter.Write(weights, tensors);

        var e = Assert.Throws<Vlm.Trainers.Checkpoints.CheckpointFormatException>(() => VlmModelFolder.ReadLlava(_root.File("llava")));
        Assert.Contains("text_model.embeddings.weight", e.Message);
        Assert.Contains("belong to no part of a LLaVA model", e.Message);
    }

    static void AddTensors(string weights, params string[] names)
    {
        List<KeyValuePair<string, Tensor>> tensors;
        using (var file = SafetensorsFile.Open(weights))
            tensors = [.. file.Names.Select(n => KeyValuePair.Create(n, file.Read(n))), .. names.Select(n => KeyValuePair.Create(n, ones(2, 4)))];
        SafetensorsWriter.Write(weights, tensors);
    }

    [Theory]
    [InlineData("vision_tower.vision_model.head.probe")] // transformers before 4.52
    [InlineData("model.vision_tower.vision_model.head.probe")] // 4.52 and later
    public void A_siglip_pooling_head_is_skipped_in_a_tower_folder_and_in_a_llava_folder(string llavaKey)
    {
        manual_seed(6);
        var tower = VisionConfig.Of(VisionKind.Siglip) with { HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 1, NumAttentionHeads = 2, ImageSize = 16, PatchSize = 8 };
        using var model = new VlmModel(tower,
            new LlamaForCausalLM(new LlamaConfig { VocabSize = 50, HiddenSize = 16, IntermediateSize = 24, NumHiddenLayers = 1, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 4 }), imageTokenId: 49);
        model.eval();
        VlmModelFolder.WriteLlava(model, _root.File("llava"));
        AddTensors(_root.File("llava/model.safetensors"), llavaKey);
        VlmModelFolder.WriteVisionFolder(model, _root.File("siglip"));
        AddTensors(_root.File("siglip/model.safetensors"), "vision_model.head.probe", "vision_model.head.attention.in_proj_weight");

        using var loaded = VlmModelFolder.ReadLlava(_root.File("llava"));
        using var alone = VlmModelFolder.ReadTower(_root.File("siglip"), out var selection);
        using var noGrad = no_grad();
        var pixels = randn(1, 3, 16, 16);
        Assert.True(model.VisionTower.forward(pixels).allclose(loaded.VisionTower.forward(pixels), rtol: 0, atol: 0));
        Assert.True(model.VisionTower.forward(pixels).allclose(alone.forward(pixels), rtol: 0, atol: 0));
    }
}
