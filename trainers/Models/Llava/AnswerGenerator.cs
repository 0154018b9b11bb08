using TorchSharp;
using Vlm.Trainers.Models.Modules;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Llava;

/// <summary>
/// Autoregressive decoding for <see cref="VlmModel"/>: a batch of left-padded prompts, the image
/// features injected once in the prefill, then one token per step through the key/value cache.
/// </summary>
internal static class AnswerGenerator
{
    /// <summary>
    /// New token ids per prompt (stop token excluded). <paramref name="inputIds"/>/<paramref name="keep"/> [B, T], left padded.
    /// <paramref name="onToken"/> sees each kept token (prompt index, id) as soon as it is chosen, for streaming.
    /// </summary>
    public static long[][] Generate(VlmModel model, Tensor inputIds, Tensor keep, Tensor? pixels, GenerationOptions options, Action<int, long>? onToken = null)
    {
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        long batch = inputIds.shape[0];
        var generator = options.Temperature > 0 ? new torch.Generator((ulong)options.Seed, inputIds.device) : null;
        var results = Enumerable.Range(0, (int)batch).Select(_ => new List<long>()).ToArray();
        var done = new bool[batch];
        var stops = options.StopTokenIds.ToHashSet();
        using var cache = options.DisableCache ? null : new KvCache(model.LanguageModel.NumHiddenLayers);

        var sequence = inputIds;
        var embeddings = model.Embed(inputIds, pixels); // image features go in once, here
        var hidden = model.LanguageModel.Forward(embeddings, keep, cache);
        for (int step = 0; step < options.MaxNewTokens; step++)
        {
            using var stepScope = NewDisposeScope();
            var logits = model.LanguageModel.Head(hidden[.., -1]).to(float32); // [B, V]
            var next = Pick(logits, sequence, options, generator); // [B]
            var ids = next.data<long>().ToArray();
            for (int b = 0; b < batch; b++)
            {
                if (done[b]) continue;
                if (stops.Contains(ids[b])) done[b] = true;
                else
                {
                    results[b].Add(ids[b]);
                    onToken?.Invoke(b, ids[b]);
                }
            }
            if (done.All(d => d) || step == options.MaxNewTokens - 1) break;
            var column = next.unsqueeze(1);
            sequence = cat([sequence, column], 1).MoveToOuterDisposeScope();
            keep = cat([keep, ones_like(column)], 1).MoveToOuterDisposeScope();
            if (cache is null)
            {
                embeddings = cat([embeddings, model.LanguageModel.EmbedTokens.forward(column)], 1).MoveToOuterDisposeScope();
                hidden = model.LanguageModel.Forward(embeddings, keep, null).MoveToOuterDisposeScope();
            }
            else
            {
                hidden = model.LanguageModel.Forward(model.LanguageModel.EmbedTokens.forward(column), keep, cache).MoveToOuterDisposeScope();
            }
        }
        return [.. results.Select(r => r.ToArray())];
    }

    static Tensor Pick(Tensor logits, Tensor sequence, GenerationOptions options, torch.Generator? generator)
    {
        if (options.RepetitionPenalty != 1.0)
        {
            var seen = logits.gather(1, sequence);
            using var penalty = options.RepetitionPenalty.ToScalar();
            var penalised = where(seen.gt(Scalars.Zero), seen.div(penalty), seen.mul(penalty));
            logits = logits.scatter(1, sequence, penalised);
        }
        if (options.Temperature <= 0) return logits.argmax(1);
        using var temperature = options.Temperature.ToScalar();
        logits = logits.div(temperature);
        if (options.TopK > 0 && options.TopK < logits.shape[1])
        {
            var kth = logits.topk(options.TopK, 1).values[.., ^1..];
            logits = logits.masked_fill(logits < kth, Scalars.NegativeInfinity);
        }
        if (options.TopP < 1.0)
        {
            var (sorted, order) = logits.sort(1, descending: true);
            var cumulative = sorted.softmax(1).cumsum(1);
            using var topP = options.TopP.ToScalar();
            var drop = (cumulative - sorted.softmax(1)).gt(topP); // keep the token that crosses p
            logits = logits.scatter(1, order, sorted.masked_fill(drop, Scalars.NegativeInfinity));
        }
        return multinomial(logits.softmax(1), 1, generator: generator).squeeze(1);
    }
}
