using TorchSharp;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// The output head and its cross-entropy fused, a chunk of rows at a time, with the gradients made in
/// the forward pass (as Liger's fused linear cross-entropy and "Cut Your Losses in Large-Vocabulary
/// Language Models" do): the logits of one chunk ([chunk, vocabulary], fp32) exist at once, never
/// those of every labelled position with their softmax and gradient. With Qwen's 151,936-token
/// vocabulary, 4,000 labelled rows would otherwise hold 2.4 GB of logits and as much again for each
/// of their softmax and gradient. The work is the plain path's: one product for the logits, one for
/// the hidden states' gradient and, when the head trains, one for its weight's.
/// </summary>
internal sealed class LinearCrossEntropy : autograd.SingleTensorFunction<LinearCrossEntropy>
{
    public override string Name => nameof(LinearCrossEntropy);

    /// <summary>Mean cross-entropy of <c>hidden [N, D] x weight [V, D]^T</c> against <paramref name="labels"/> [N] (fp32 scalar).</summary>
    public static Tensor Mean(Tensor hidden, Tensor weight, Tensor labels, long chunkRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkRows, 1);
        bool gradients = is_grad_enabled() && (hidden.requires_grad || weight.requires_grad);
        return gradients ? apply([hidden, weight, labels, chunkRows]) : Run(hidden, weight, labels, chunkRows, null, null);
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (hidden, weight, labels, chunkRows) = ((Tensor)vars[0], (Tensor)vars[1], (Tensor)vars[2], (long)vars[3]);
        var gradHidden = hidden.requires_grad ? empty_like(hidden) : null;
        var gradWeight = weight.requires_grad ? zeros(weight.shape, float32, weight.device) : null;
        var loss = Run(hidden, weight, labels, chunkRows, gradHidden, gradWeight);
        ctx.save_for_backward([gradHidden ?? empty(0), gradWeight ?? empty(0)]);
        ctx.save_data("hidden", gradHidden is not null);
        ctx.save_data("weight", gradWeight is not null);
        ctx.save_data("weightType", weight.dtype);
        return loss;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var grads = new List<Tensor>
        {
            // The saved gradients belong to this function alone: scaled in place.
            (bool)ctx.get_data("hidden") ? saved[0].mul_(gradOutput.to(saved[0].dtype)) : null!,
            (bool)ctx.get_data("weight") ? saved[1].mul_(gradOutput).to((ScalarType)ctx.get_data("weightType")) : null!,
            null!, // labels
            null!, // chunk size
        };
        return grads;
    }

    /// <summary>
    /// Logits further than this below their row's largest count as zero probability: e^-64 is 1.6e-28,
    /// far under fp32's resolution of a sum of at least 1. Without the cut, exp gives denormal floats
    /// for the many logits 87 to 103 below the top, and every product over denormals runs ~100x slower
    /// on x86 (a randomly initialised 150k-token head spent most of its loss time there).
    /// </summary>
    const double Cut = 64;

    /// <summary>The mean loss; the gradients of the mean are written into <paramref name="gradHidden"/> and added to <paramref name="gradWeight"/> when given.</summary>
    static Tensor Run(Tensor hidden, Tensor weight, Tensor labels, long chunkRows, Tensor? gradHidden, Tensor? gradWeight)
    {
        using var _ = no_grad();
        long rows = hidden.shape[0];
        var total = zeros([], float32, hidden.device);
        double perRow = 1.0 / rows;
        using var perRowScalar = perRow.ToScalar();
        using var minusOne = (-1.0).ToScalar();
        for (long start = 0; start < rows; start += chunkRows)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(chunkRows, rows - start);
            var h = hidden.narrow(0, start, count);
            var target = labels.narrow(0, start, count).unsqueeze(1);
            var logits = nn.functional.linear(h, weight).to(float32); // [c, V]
            var picked = logits.gather(1, target);
            var top = logits.amax([1], keepdim: true);
            var shifted = nn.functional.threshold(logits.sub_(top), -Cut, double.NegativeInfinity, inplace: true); // <= 0; far below the top: -inf
            var probabilities = shifted.exp_(); // unnormalised, in place
            var sum = probabilities.sum(1, keepdim: true); // >= 1
            total.add_(sum.log().add_(top).sub_(picked).sum()); // log-sum-exp minus the target's logit
            if (gradHidden is null && gradWeight is null) continue;
            // d(mean loss)/d(logits) = (softmax - one-hot) / rows; the 1 / rows goes on the products, not on the [c, V] values.
            var gradLogits = probabilities.div_(sum);
            gradLogits.scatter_add_(1, target, full([count, 1], minusOne, float32, hidden.device));
            var cast = gradLogits.to(weight.dtype);
            gradHidden?.narrow(0, start, count).copy_(cast.mm(weight).mul_(perRowScalar));
            if (gradWeight is not null)
            {
                if (cast.dtype == float32) gradWeight.addmm_(cast.t(), h, beta: 1, alpha: (float)perRow); // in place: no [V, D] temporary per chunk
                else gradWeight.add_(cast.t().mm(h).to(float32).mul_(perRowScalar));
            }
        }
        return total.div_(rows);
    }
}
