using SkiaSharp;
using Vlm.Tests.TestSupport;
using Vlm.Tests.Trainers.Models;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models.Llama;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Qwen;
using Vlm.Trainers.Models.Text;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Training;

/// <summary>
/// Packing: several examples in one row, each attending only to itself with positions from 0, give the
/// unpacked batch's loss and gradients, in every LLM family; fewer rows, fewer padded positions.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class PackedBatchTests : IDisposable
{
    readonly TempFolder _images = new();

    public void Dispose() => _images.Dispose();

    [Fact]
    public void Positions_restart_and_attention_stays_inside_each_packed_segment()
    {
        using var scope = NewDisposeScope();
        var keep = tensor(new long[] { 1, 1, 1, 2, 2, 0, 0, 0, 1, 1, 1, 1 }, [2, 6]); // packed row, right padded; left-padded row
        Assert.Equal(new long[] { 0, 1, 2, 0, 1, 1, 0, 0, 0, 1, 2, 3 }, AttentionMask.Positions(keep, 6).data<long>().ToArray());
        var allowed = AttentionMask.Causal(keep, 6, float32).eq(0f)[0, 0];
        bool[,] expected =
        {
            { true, false, false, false, false, false },
            { true, true, false, false, false, false },
            { true, true, true, false, false, false },
            { false, false, false, true, false, false },
            { false, false, false, true, true, false },
            { true, true, true, true, true, false }, // padding: as before packing, every earlier real token
        };
        for (int q = 0; q < 6; q++)
            for (int k = 0; k < 6; k++)
                Assert.True(expected[q, k] == allowed[q, k].item<bool>(), $"query {q}, key {k}");
    }

    static VlmModel Model(string family)
    {
        manual_seed(8);
        CausalLanguageModel lm = family switch
        {
            "qwen" => new QwenLMHeadModel(new QwenConfig { VocabSize = 64, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, KvChannels = 8 }),
            "llama" => new LlamaForCausalLM(new LlamaConfig { VocabSize = 64, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, NumKeyValueHeads = 2, HeadDim = 8 }),
            _ => new Qwen2ForCausalLM(TinyModels.Text()),
        };
        var model = new VlmModel(TinyModels.Vision(), lm, TinyModels.ImageToken);
        model.train();
        return model;
    }

    /// <summary>One long example and several short ones, some with an image (4 image tokens), some text only.</summary>
    List<TrainingExample> Examples(int seed)
    {
        var random = new Random(seed);
        SKColor[] colours = [SKColors.Red, SKColors.Blue, SKColors.Green, SKColors.Orange];
        var examples = new List<TrainingExample>();
        foreach (int length in new[] { 30, 9, 12, 7, 10, 6 })
        {
            bool image = examples.Count % 2 == 0;
            var ids = Enumerable.Range(0, length).Select(_ => random.Next(1, 59)).ToArray();
            if (image) ids.AsSpan(1, 4).Fill((int)TinyModels.ImageToken);
            var labels = ids.Select((id, t) => t < length / 2 ? -100 : id).ToArray();
            string? name = null;
            if (image)
            {
                name = $"e{examples.Count}.png";
                TestImages.Write(_images.File(name), 16, 16, color: colours[examples.Count / 2]);
            }
            examples.Add(new TrainingExample(ids, labels, name));
        }
        return examples;
    }

    [Theory]
    [InlineData("qwen2")]
    [InlineData("qwen")]
    [InlineData("llama")]
    public void A_packed_batch_has_the_unpacked_batchs_loss_and_gradients(string family)
    {
        using var model = Model(family);
        var examples = Examples(3);
        var images = new DecodedImages(VlmProcessor.ForImages(model.VisionTower.Config.ImageProcessor(null)), _images.Path);
        List<TorchSharp.Modules.Parameter> trainable = [.. model.Projector.parameters(), .. model.LanguageModel.parameters()]; // the tower is frozen

        (float Loss, long Tokens, float[][] Gradients, TrainingBatch Batch) Run(bool pack)
        {
            foreach (var p in trainable) p.grad?.zero_();
            using var scope = NewDisposeScope();
            var batch = TrainingBatch.Create(examples, images, pack);
            var (ids, keep, labels, pixels) = batch.ToTensors(CPU);
            var (loss, tokens) = model.Loss(ids, keep, labels, pixels);
            loss.backward();
            return (loss.item<float>(), tokens, [.. trainable.Select(p => p.grad!.data<float>().ToArray())], batch);
        }

        var plain = Run(pack: false);
        var packed = Run(pack: true);
        Assert.Equal(6, plain.Batch.Rows);
        Assert.Equal(3, packed.Batch.Rows); // first-fit decreasing into rows of 30: [30], [12, 10, 7], [9, 6]
        Assert.Equal(plain.Tokens, packed.Tokens);
        Assert.Equal(plain.Batch.Tokens, packed.Batch.Tokens);
        Assert.Equal(6, packed.Batch.Examples);
        Assert.Equal(plain.Loss, packed.Loss, 5e-6f);
        for (int i = 0; i < trainable.Count; i++)
        {
            var (a, b) = (plain.Gradients[i], packed.Gradients[i]);
            double scale = Math.Max(1e-6, a.Max(Math.Abs));
            double worst = a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
            Assert.True(worst <= 1e-4 * scale, $"parameter {i}: gradients differ by {worst} (largest {scale})");
        }
    }
}
