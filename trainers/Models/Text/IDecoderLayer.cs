using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Text;

/// <summary>One pre-norm decoder block: <c>x + attn(norm(x))</c>, then <c>x + mlp(norm(x))</c>.</summary>
internal interface IDecoderLayer
{
    /// <summary>x [B, T, D]; mask [B, 1, T, S] additive; returns [B, T, D].</summary>
    Tensor Forward(Tensor x, RotaryAngles angles, Tensor mask, KvCache? cache, int layer);
}
