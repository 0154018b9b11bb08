using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>Runs decoder layers in order, each under gradient checkpointing when asked (training without a cache only).</summary>
internal static class DecoderStack
{
    public static Tensor Run(IReadOnlyList<IDecoderLayer> layers, Tensor embeddings, RotaryAngles angles, Tensor mask, KvCache? cache, bool checkpointing)
    {
        using var scope = NewDisposeScope();
        var h = embeddings;
        bool recompute = checkpointing && cache is null && is_grad_enabled();
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            int index = i;
            h = recompute
                ? Checkpoint.Run((input, c) => layer.Forward(input, new RotaryAngles(c[0], c[1], c[2], c[3]), c[4], null, index),
                    h, angles.Cos, angles.Sin, angles.QueryCos, angles.QuerySin, mask)
                : layer.Forward(h, angles, mask, cache, i);
        }
        return h.MoveToOuterDisposeScope();
    }
}
