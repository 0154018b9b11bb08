using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Vision;
using static TorchSharp.torch;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Trainers.Models;

[Collection(TorchRandomCollection.Name)]
public class VlmModelTests
{
    static Tensor Ids(params long[][] rows) => tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);

    static long[] WithImage(int before, int after, int imageTokens = 4) =>
        [.. Enumerable.Range(1, before).Select(i => (long)i), .. Enumerable.Repeat(TinyModels.ImageToken, imageTokens), .. Enumerable.Range(20, after).Select(i => (long)i)];

    [Fact]
    public void A_clip_tower_gives_one_token_per_patch_and_siglip_keeps_all()
    {
        Assert.Equal(4, TinyModels.Vlm().ImageTokensPerImage);
        Assert.Equal(4, TinyModels.Vlm(kind: VisionKind.Siglip).ImageTokensPerImage);
        Assert.Equal(5, TinyModels.Vision().NumPositions);
    }

    [Fact]
    public void Features_land_exactly_on_image_tokens_and_text_embeddings_stay()
    {
        using var model = TinyModels.Vlm();
        var ids = Ids(WithImage(2, 3));
        var pixels = randn(1, 3, 16, 16);
        using var _ = no_grad();
        var embedded = model.Embed(ids, pixels);
        var text = model.LanguageModel.EmbedTokens.forward(ids);
        var features = model.ImageFeatures(pixels);
        Assert.True(embedded[0, 2..6].allclose(features[0]));
        Assert.True(embedded[0, ..2].allclose(text[0, ..2]));
        Assert.True(embedded[0, 6..].allclose(text[0, 6..]));
    }

    [Fact]
    public void Two_images_in_a_batch_go_in_reading_order()
    {
        using var model = TinyModels.Vlm();
        var ids = Ids(WithImage(1, 2), WithImage(3, 0));
        var pixels = randn(2, 3, 16, 16);
        using var _ = no_grad();
        var embedded = model.Embed(ids, pixels);
        var features = model.ImageFeatures(pixels);
        Assert.True(embedded[0, 1..5].allclose(features[0]));
        Assert.True(embedded[1, 3..7].allclose(features[1]));
    }

    [Fact]
    public void Image_tokens_and_features_that_disagree_are_an_error_naming_both_counts()
    {
        using var model = TinyModels.Vlm();
        var e = Assert.Throws<ArgumentException>(() => model.Embed(Ids(WithImage(1, 1)), null));
        Assert.Contains("tokens 4, features 0", e.Message);
        e = Assert.Throws<ArgumentException>(() => model.Embed(Ids(WithImage(1, 1)), randn(2, 3, 16, 16)));
        Assert.Contains("tokens 4, features 8", e.Message);
    }

    [Fact]
    public void Left_padding_does_not_change_a_prompts_logits()
    {
        using var model = TinyModels.Vlm();
        var prompt = WithImage(2, 3);
        var pixels = randn(1, 3, 16, 16);
        using var _ = no_grad();
        var alone = model.Logits(Ids(prompt), ones(1, prompt.Length, dtype: int64), pixels);
        var padded = Ids([0, 0, 0, .. prompt]);
        var keep = tensor([0L, 0, 0, .. Enumerable.Repeat(1L, prompt.Length)], [1, prompt.Length + 3]);
        var logits = model.Logits(padded, keep, pixels);
        Assert.True(logits[0, 3..].allclose(alone[0], rtol: 1e-4, atol: 1e-5), $"max diff {(logits[0, 3..] - alone[0]).abs().max().item<float>()}");
    }

    [Fact]
    public void Loss_uses_only_labelled_positions_and_equals_full_cross_entropy_there()
    {
        using var model = TinyModels.Vlm();
        var ids = Ids(WithImage(2, 4));
        long t = ids.shape[1];
        var labels = full(1, t, -100L, dtype: int64);
        labels[0, ^3..] = ids[0, ^3..];
        var pixels = randn(1, 3, 16, 16);
        using var _ = no_grad();
        var (loss, tokens) = model.Loss(ids, ones_like(ids), labels, pixels);
        var logits = model.Logits(ids, ones_like(ids), pixels);
        var expected = nn.functional.cross_entropy(logits[0, ^4..^1], ids[0, ^3..]);
        Assert.Equal(3, tokens);
        Assert.Equal(expected.item<float>(), loss.item<float>(), 5);
    }

    [Fact]
    public void Greedy_generation_with_the_cache_equals_generation_without_it_for_a_left_padded_batch()
    {
        using var model = TinyModels.Vlm();
        var ids = Ids([0, 0, .. WithImage(1, 2)], WithImage(3, 2));
        var keep = ones_like(ids);
        keep[0, ..2] = zeros(2, dtype: int64);
        var pixels = randn(2, 3, 16, 16);
        var options = new GenerationOptions { MaxNewTokens = 6 };
        var cached = AnswerGenerator.Generate(model, ids, keep, pixels, options);
        var uncached = AnswerGenerator.Generate(model, ids, keep, pixels, options with { DisableCache = true });
        Assert.Equal(6, cached[0].Length);
        Assert.Equal(uncached, cached);
    }

    [Fact]
    public void Generation_stops_at_a_stop_token_and_leaves_it_out()
    {
        using var model = TinyModels.Vlm();
        var ids = Ids(WithImage(2, 2));
        var pixels = randn(1, 3, 16, 16);
        var first = AnswerGenerator.Generate(model, ids, ones_like(ids), pixels, new GenerationOptions { MaxNewTokens = 3 })[0];
        var stopped = AnswerGenerator.Generate(model, ids, ones_like(ids), pixels, new GenerationOptions { MaxNewTokens = 3, StopTokenIds = [first[1]] })[0];
        Assert.Equal(first[..1], stopped);
    }

    [Fact]
    public void Seeded_sampling_repeats_and_differs_from_greedy_at_high_temperature()
    {
        using var model = TinyModels.Vlm();
        var ids = Ids(WithImage(2, 2));
        var pixels = randn(1, 3, 16, 16);
        var sampling = new GenerationOptions { MaxNewTokens = 12, Temperature = 5, TopK = 40, TopP = 0.95, Seed = 3 };
        var a = AnswerGenerator.Generate(model, ids, ones_like(ids), pixels, sampling)[0];
        var b = AnswerGenerator.Generate(model, ids, ones_like(ids), pixels, sampling)[0];
        var greedy = AnswerGenerator.Generate(model, ids, ones_like(ids), pixels, new GenerationOptions { MaxNewTokens = 12 })[0];
        Assert.Equal(a, b);
        Assert.NotEqual(greedy, a);
    }

    [Fact]
    public void Gradient_checkpointing_gives_the_same_loss_and_gradients()
    {
        var runs = new[] { false, true }.Select(checkpointing =>
        {
            using var model = TinyModels.Vlm(seed: 5);
            model.LanguageModel.GradientCheckpointing = checkpointing;
            return LossAndGradients(model);
        }).ToList();
        AssertSame(runs[0], runs[1], rtol: 1e-5, atol: 1e-7);
    }

    [Theory]
    [InlineData(false, true)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    public void The_fused_chunked_loss_gives_the_plain_loss_and_gradients(bool tied, bool headTrains)
    {
        var runs = new[] { false, true }.Select(fused =>
        {
            manual_seed(5);
            using var model = new VlmModel(TinyModels.Vision(), new Qwen2ForCausalLM(TinyModels.Text(tied)), TinyModels.ImageToken) { FusedLoss = fused };
            foreach (var p in model.LanguageModel.parameters()) p.requires_grad = true;
            if (!headTrains) model.LanguageModel.HeadWeight.requires_grad = false;
            return LossAndGradients(model);
        }).ToList();
        AssertSame(runs[0], runs[1], rtol: 1e-4, atol: 1e-6);
    }

    /// <summary>The training loss of one image-and-text batch (several loss chunks, the last one short) and the LLM's gradients (zeros(1) where none).</summary>
    static (float Loss, Tensor[] Gradients) LossAndGradients(VlmModel model)
    {
        model.train();
        model.LossChunkRows = 3;
        var ids = Ids(WithImage(2, 4));
        var labels = ids.clone();
        labels[0, ..6] = full(6, -100L, dtype: int64);
        manual_seed(9);
        var pixels = randn(1, 3, 16, 16);
        var (loss, _) = model.Loss(ids, ones_like(ids), labels, pixels);
        loss.backward();
        return (loss.item<float>(), [.. model.LanguageModel.parameters().Select(p => p.grad is null ? zeros(1) : p.grad.clone())]);
    }

    static void AssertSame((float Loss, Tensor[] Gradients) a, (float Loss, Tensor[] Gradients) b, double rtol, double atol)
    {
        Assert.Equal(a.Loss, b.Loss, 5);
        Assert.Equal(a.Gradients.Length, b.Gradients.Length);
        for (int i = 0; i < a.Gradients.Length; i++)
            Assert.True(a.Gradients[i].allclose(b.Gradients[i], rtol: rtol, atol: atol), $"parameter {i}: max |diff| {(a.Gradients[i] - b.Gradients[i]).abs().max().item<float>()}");
    }

    [Fact]
    public void The_fused_loss_without_gradients_is_the_plain_loss()
    {
        using var model = TinyModels.Vlm(seed: 5);
        model.LossChunkRows = 2;
        var ids = Ids([1, 2, 3, 4, 5, 6, 7, 8, 9]);
        using var _ = no_grad();
        float fused = model.Loss(ids, ones_like(ids), ids, null).Loss.item<float>();
        model.FusedLoss = false;
        Assert.Equal(model.Loss(ids, ones_like(ids), ids, null).Loss.item<float>(), fused, 5);
    }

    [Fact]
    public void Rms_norm_matches_its_formula()
    {
        using var norm = new RmsNorm(8, 1e-6);
        var x = randn(2, 8);
        var expected = x / (x.pow(2).mean([-1], keepdim: true) + 1e-6).sqrt();
        Assert.True(norm.forward(x).allclose(expected, atol: 1e-6));
    }
}
