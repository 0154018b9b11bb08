using TorchSharp.Modules;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>The body of a causal LM under its head: token embeddings, decoder layers and the final norm.</summary>
internal interface IDecoderModel
{
    Embedding EmbedTokens { get; }

    /// <summary>When set, each layer's activations are recomputed in the backward pass instead of kept (memory for time).</summary>
    bool GradientCheckpointing { get; set; }

    /// <summary>embeddings [B, T, D]; keep [B, S] (1 real, 0 padding; S = cached + T) -> hidden states [B, T, D] after the final norm.</summary>
    Tensor Forward(Tensor embeddings, Tensor keep, KvCache? cache);
}
