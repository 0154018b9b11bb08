using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>Hugging Face's <c>hidden_act</c> names.</summary>
internal static class Activations
{
    public static Func<Tensor, Tensor> ByName(string name) => name switch
    {
        "quick_gelu" => x => x * nn.functional.sigmoid(x.mul(Scalars.QuickGelu)),
        "gelu" => x => nn.functional.gelu(x),
        "gelu_pytorch_tanh" or "gelu_new" => x => nn.functional.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh, false),
        "silu" => x => nn.functional.silu(x),
        _ => throw new NotSupportedException($"hidden_act '{name}' is not supported (quick_gelu, gelu, gelu_pytorch_tanh, silu)"),
    };
}
