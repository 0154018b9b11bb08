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
            (bool)ctx.get_data("hidden") ? saved[0].mul(gradOutput.to(saved[0].dtype)) : null!,
            (bool)ctx.get_data("weight") ? saved[1].mul(gradOutput).to((ScalarType)ctx.get_data("weightType")) : null!,
            null!, // labels
            null!, // chunk size
        };
        return grads;
    }

    /// <summary>The mean loss; the gradients of the mean are written into <paramref name="gradHidden"/> and added to <paramref name="gradWeight"/> when given.</summary>
    static Tensor Run(Tensor hidden, Tensor weight, Tensor labels, long chunkRows, Tensor? gradHidden, Tensor? gradWeight)
    {
        using var _ = no_grad();
        long rows = hidden.shape[0];
        var total = zeros([], float32, hidden.device);
        using var perRow = (1.0 / rows).ToScalar();
        using var minusOne = (-1.0).ToScalar();
        for (long start = 0; start < rows; start += chunkRows)
        {
            using var scope = NewDisposeScope();
            long count = Math.Min(chunkRows, rows - start);
            var h = hidden.narrow(0, start, count);
            var target = labels.narrow(0, start, count).unsqueeze(1);
            var logits = nn.functional.linear(h, weight).to(float32); // [c, V]
            var logSumExp = logits.logsumexp(1, keepdim: true);
            total.add_(logSumExp.sum().sub_(logits.gather(1, target).sum()));
            if (gradHidden is null && gradWeight is null) continue;
            // d(mean loss)/d(logits) = (softmax - one-hot) / rows, made in place over the logits.
            var gradLogits = logits.sub_(logSumExp).exp_();
            gradLogits.scatter_add_(1, target, full([count, 1], minusOne, float32, hidden.device));
            gradLogits.mul_(perRow);
            var cast = gradLogits.to(weight.dtype);
            gradHidden?.narrow(0, start, count).copy_(cast.mm(weight));
            gradWeight?.add_(cast.t().mm(h).to(float32));
        }
        return total.div_(rows);
    }
}
