using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Llava;

/// <summary>
/// LLaVA's multi-modal projector, <c>linear_2(gelu(linear_1(x)))</c> from the tower's width to the
/// LLM's, with Hugging Face's key names. Initialised as the original does: normal(0, 0.01), bias 0.
/// </summary>
internal sealed class Projector : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly Linear linear_1, linear_2;

    public Projector(int visionSize, int textSize) : base(nameof(Projector))
    {
        linear_1 = nn.Linear(visionSize, textSize);
        linear_2 = nn.Linear(textSize, textSize);
        using (no_grad())
        {
            foreach (var linear in new[] { linear_1, linear_2 })
            {
                nn.init.normal_(linear.weight!, 0, 0.01);
                nn.init.zeros_(linear.bias!);
            }
        }
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // The projector may be float32 over a bf16 model (trained in full precision, see VlmTrainer): features come in at its type.
        return linear_2.forward(nn.functional.gelu(linear_1.forward(x.to(linear_1.weight!.dtype)))).MoveToOuterDisposeScope();
    }
}
