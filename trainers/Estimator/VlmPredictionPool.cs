using System.Collections.Concurrent;
using Microsoft.ML;

namespace Vlm.Trainers.Estimator;

/// <summary>
/// Prediction engines for many threads (an ASP.NET app's requests) over one loaded model: ML.NET's
/// rule is one <see cref="PredictionEngine{TSrc, TDst}"/> per thread at a time (an engine reuses its
/// buffers), so each call rents an engine, and the model itself serialises the calls that reach it.
/// Works with what <see cref="VlmCatalog.Load"/> returns, a chain ending in the VLM stage included.
/// </summary>
public sealed class VlmPredictionPool(MLContext ml, ITransformer model)
{
    readonly ConcurrentBag<PredictionEngine<VlmInput, VlmOutput>> _engines = [];

    /// <summary>The model's answer to <paramref name="input"/>; safe to call from any number of threads.</summary>
    public VlmOutput Predict(VlmInput input)
    {
        var engine = _engines.TryTake(out var idle) ? idle : ml.Model.CreatePredictionEngine<VlmInput, VlmOutput>(model);
        try
        {
            return engine.Predict(input);
        }
        finally
        {
            _engines.Add(engine);
        }
    }
}
