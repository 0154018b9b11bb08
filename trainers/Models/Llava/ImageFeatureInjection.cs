using TorchSharp;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Llava;

/// <summary>
/// Puts projected image features where the prompt holds image tokens: one vectorised
/// <c>masked_scatter</c> over the batch, so 0, 1 or several images per sample and either padding
/// side work alike. Images are taken in reading order (sample by sample, left to right).
/// </summary>
internal static class ImageFeatureInjection
{
    /// <summary>embeddings [B, T, D], inputIds [B, T], features [N images, F, D] or null -> [B, T, D].</summary>
    public static Tensor Inject(Tensor embeddings, Tensor inputIds, Tensor? features, long imageTokenId)
    {
        using var scope = NewDisposeScope();
        using var imageToken = imageTokenId.ToScalar();
        var mask = inputIds.eq(imageToken);
        long tokens = mask.sum().item<long>();
        long provided = features is null ? 0 : features.shape[0] * features.shape[1];
        if (tokens != provided)
            throw new ArgumentException($"image features and image tokens do not match: tokens {tokens}, features {provided}" +
                (features is null ? "" : $" ({features.shape[0]} images x {features.shape[1]} features each)"));
        if (tokens == 0) return embeddings.alias().MoveToOuterDisposeScope();
        long d = embeddings.shape[2];
        var source = features!.reshape(-1, d).to(embeddings.dtype);
        return embeddings.masked_scatter(mask.unsqueeze(-1).expand_as(embeddings), source).MoveToOuterDisposeScope();
    }
}
