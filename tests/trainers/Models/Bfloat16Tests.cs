using TorchSharp;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Qwen;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Text;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Models;

/// <summary>
/// The bfloat16 path (what CUDA training and generation use) against fp32 with the same weights, on
/// CPU. bfloat16 keeps 8 significant bits (unit roundoff 2^-8 = 0.0039), so agreement is judged
/// relative to the size of the values: the logits' relative error must stay within a few roundoffs
/// (0.02, about 5u, after several layers of rounding), and the argmax must agree wherever fp32's
/// top two logits are further apart than that error.
/// </summary>
[Collection(TorchRandomCollection.Name)]
public class Bfloat16Tests
{
    const double RelativeBound = 0.02;

    static VlmModel Model(bool qwen7b)
    {
        manual_seed(5);
        CausalLanguageModel lm = qwen7b
            ? new QwenLMHeadModel(new QwenConfig { VocabSize = 64, HiddenSize = 32, IntermediateSize = 48, NumHiddenLayers = 2, NumAttentionHeads = 4, KvChannels = 8 })
            : new Qwen2ForCausalLM(TinyModels.Text());
        var model = new VlmModel(TinyModels.Vision(), lm, TinyModels.ImageToken);
        model.eval();
        return model;
    }

    static (Tensor Ids, Tensor Keep, Tensor Pixels) Batch(VlmModel model)
    {
        manual_seed(6);
        var ids = randint(0, 59, [2, 12]);
        ids[.., 2..(2 + model.ImageTokensPerImage)] = TinyModels.ImageToken;
        var keep = ones_like(ids);
        keep[1, ..1] = 0;
        return (ids, keep, randn(2, 3, 16, 16));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Logits_agree_with_fp32_within_bfloat16s_precision(bool qwen7b)
    {
        using var model = Model(qwen7b);
        var (ids, keep, pixels) = Batch(model);
        using var _ = no_grad();
        var reference = model.Logits(ids, keep, pixels)[.., 1..];
        model.to(bfloat16);
        Assert.Equal(ScalarType.BFloat16, model.LanguageModel.HeadWeight.dtype);
        var logits = model.Logits(ids, keep, pixels.to(bfloat16))[.., 1..];
        Assert.Equal(ScalarType.BFloat16, logits.dtype);
        var error = (logits.to(float32) - reference).norm().item<float>() / reference.norm().item<float>();
        Assert.True(error < RelativeBound, $"relative error {error}");
        Assert.True(error > 1e-4, "the bfloat16 run did not round at all: it did not run in bfloat16");

        var top2 = reference.topk(2, -1).values;
        var clear = (top2[.., .., 0] - top2[.., .., 1]) > RelativeBound * reference.abs().max();
        Assert.True(clear.sum().item<long>() > 0);
        Assert.True(logits.argmax(-1).eq(reference.argmax(-1)).logical_or(clear.logical_not()).all().item<bool>());
    }

    [Fact]
    public void A_training_step_in_bfloat16_gives_a_close_loss_and_finite_gradients()
    {
        using var model = Model(qwen7b: true);
        var (ids, keep, pixels) = Batch(model);
        var labels = ids.clone();
        labels[.., ..8] = -100;
        var (reference, _) = model.Loss(ids, keep, labels, pixels);
        model.to(bfloat16);
        var (loss, tokens) = model.Loss(ids, keep, labels, pixels.to(bfloat16));
        Assert.Equal(8, tokens);
        Assert.True(Math.Abs(loss.item<float>() - reference.item<float>()) < RelativeBound * reference.item<float>(), $"{loss.item<float>()} vs {reference.item<float>()}");
        loss.backward();
        var grads = model.parameters().Where(p => p.grad is not null).Select(p => p.grad!).ToList();
        Assert.NotEmpty(grads);
        Assert.All(grads, g => Assert.True(g.dtype == ScalarType.BFloat16 && g.isfinite().all().item<bool>()));
    }

    [Fact]
    public void A_lora_adapter_on_a_bfloat16_layer_is_float32_and_adds_its_update_at_the_layers_type()
    {
        manual_seed(7);
        var layer = new LoraLinear(32, 24, hasBias: true);
        layer.to(bfloat16);
        layer.AddAdapter(rank: 4, alpha: 8, dropout: 0);
        Assert.All(layer.AdapterParameters, p => Assert.Equal(ScalarType.Float32, p.dtype));
        using (no_grad()) layer.AdapterParameters.Last().normal_(0, 0.2); // B, zero when fresh
        var x = randn(5, 32);

        var y = layer.forward(x.to(bfloat16));
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        var (a, b) = (layer.AdapterParameters.First(), layer.AdapterParameters.Last());
        var reference = x.matmul(layer.Weight.to(float32).t()) + layer.Bias!.to(float32) + x.matmul(a.t()).matmul(b.t()) * 2.0;
        var error = (y.to(float32) - reference).norm().item<float>() / reference.norm().item<float>();
        Assert.True(error < RelativeBound, $"relative error {error}");

        y.to(float32).sum().backward();
        Assert.All(layer.AdapterParameters, p => Assert.True(p.grad is { } g && g.dtype == ScalarType.Float32 && g.isfinite().all().item<bool>() && g.abs().sum().item<float>() > 0));
        Assert.Null(layer.Weight.grad);
    }

    [Fact]
    public void A_lora_linear_with_a_uniform_bias_draws_the_same_numbers_as_nn_linear()
    {
        manual_seed(11);
        using var linear = nn.Linear(24, 40);
        manual_seed(11);
        using var lora = new LoraLinear(24, 40, hasBias: true, uniformBias: true);
        Assert.True(lora.Weight.eq(linear.weight!).all().item<bool>());
        Assert.True(lora.Bias!.eq(linear.bias!).all().item<bool>());
        Assert.True(lora.Bias!.abs().max().item<float>() > 0);
    }
}
