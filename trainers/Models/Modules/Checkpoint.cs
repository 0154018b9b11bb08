using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// Gradient checkpointing as a TorchSharp custom autograd function: the forward pass runs a block
/// without recording its graph (only its inputs are kept); the backward pass runs it again with the
/// graph and back-propagates through it. The random state is restored before the rerun, so dropout
/// draws the same masks both times and the gradients equal those of the plain block.
/// </summary>
internal sealed class Checkpoint : autograd.SingleTensorFunction<Checkpoint>
{
    public override string Name => nameof(Checkpoint);

    /// <summary>
    /// Runs <paramref name="block"/>(input, constants). The constants (rotary angles, masks) travel
    /// through autograd's saved tensors rather than a closure, because the caller's dispose scope
    /// frees its own handles long before the backward pass needs them.
    /// </summary>
    public static Tensor Run(Func<Tensor, Tensor[], Tensor> block, Tensor input, params Tensor[] constants) =>
        apply([input, block, .. constants]);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var block = (Func<Tensor, Tensor[], Tensor>)vars[1];
        var constants = vars.Skip(2).Cast<Tensor>().ToArray();
        ctx.save_for_backward([input, .. constants]);
        ctx.save_data("block", block);
        // As bytes: TorchSharp warns (on stdout) about tensors kept outside save_for_backward.
        using (var state = random.get_rng_state()) ctx.save_data("rng", state.data<byte>().ToArray());
        using var _ = no_grad();
        return block(input, constants);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var block = (Func<Tensor, Tensor[], Tensor>)ctx.get_data("block");
        using var rng = tensor((byte[])ctx.get_data("rng"));
        using var current = random.get_rng_state();
        random.set_rng_state(rng);
        try
        {
            using var _ = enable_grad();
            var x = saved[0].detach().requires_grad_(true);
            var y = block(x, [.. saved.Skip(1)]);
            y.backward([gradOutput]);
            // One gradient per argument of apply, the block included: only the input has one.
            return [x.grad!, null!, .. saved.Skip(1).Select(_ => (Tensor)null!)];
        }
        finally
        {
            random.set_rng_state(current);
        }
    }
}
