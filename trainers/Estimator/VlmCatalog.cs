using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Training;

using Vlm.Transforms.Evaluation;

namespace Vlm.Trainers.Estimator;

/// <summary>The VLM's entry point on an <see cref="MLContext"/>: <c>mlContext.Vlm()</c>.</summary>
public static class VlmMLContextExtensions
{
    /// <summary>
    /// The VLM catalog of <paramref name="ml"/>. It hangs off the context itself, not
    /// <c>mlContext.Transforms</c>, because the device comes from <c>MLContext.GpuDeviceId</c> and
    /// <c>FallbackToCpu</c>, which ML.NET's catalogs do not expose.
    /// </summary>
    public static VlmCatalog Vlm(this MLContext ml) => new(ml);
}

/// <summary>
/// Train, save and load the VLM:
/// <code>
/// var model = ml.Vlm().Trainer(new VlmTrainerOptions { LlmPath = "qwen2", VisionPath = "clip", OutputDir = "out" })
///     .Fit(ml.Data.LoadShards("shards"));
/// var engine = ml.Model.CreatePredictionEngine&lt;VlmInput, VlmOutput&gt;(model);
/// ml.Vlm().Save(model, null, "model.zip");           // writes model.zip and model.vlm/
/// var loaded = ml.Vlm().Load("model.zip", out _);
/// </code>
/// </summary>
public sealed class VlmCatalog
{
    readonly MLContext _ml;

    internal VlmCatalog(MLContext ml) => _ml = ml;

    /// <summary>An estimator whose <c>Fit</c> trains on shards (<c>input_ids</c>, <c>labels</c>, <c>image</c>) and returns the answering stage.</summary>
    public VlmEstimator Trainer(VlmTrainerOptions options) => new(_ml, options);

    /// <summary>
    /// Saves <paramref name="model"/> (the VLM stage, or a chain ending in it) as <paramref name="path"/>
    /// with the VLM's weights in the folder next to it (<c>model.zip</c> -> <c>model.vlm/</c>, Hugging Face and peft formats).
    /// </summary>
    public void Save(ITransformer model, DataViewSchema? inputSchema, string path)
    {
        inputSchema ??= _ml.Data.LoadFromEnumerable(Array.Empty<VlmInput>()).Schema;
        // Atomically: a failed save leaves the good model.zip alone.
        VlmModelFolder.SavingPipeline(VlmModelFolder.BesideZip(path), () =>
        {
            Vlm.Datasets.IO.AtomicFile.Write(path, stream => _ml.Model.Save(model, inputSchema, stream));
            return 0;
        });
    }

    /// <summary>Loads what <see cref="Save"/> wrote; the VLM stage comes back as a <see cref="VlmTransformer"/> on this context's device.</summary>
    public ITransformer Load(string path, out DataViewSchema inputSchema)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such model file", path);
        _ml.ComponentCatalog.RegisterAssembly(typeof(VlmMappingFactory).Assembly);
        var request = new VlmModelFolder.PipelineLoad(VlmModelFolder.BesideZip(path), TorchDevice.Select(_ml), TensorPrecision.Auto);
        DataViewSchema schema = null!;
        ITransformer loaded;
        try
        {
            loaded = VlmModelFolder.LoadingPipeline(request, () => _ml.Model.Load(path, out schema));
        }
        catch (System.Reflection.TargetInvocationException e) when (e.InnerException is not null)
        {
            // ML.NET builds the stage by reflection: the reason is the inner exception, not the wrapper.
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
        inputSchema = schema;
        // ML.NET rebuilds the stage as a plain custom mapping; put the VLM stage back in its place,
        // so the loaded model saves again (with its weights) like the one that was saved.
        var stages = new Queue<VlmPredictor>(request.Loaded);
        return Restore(loaded, stages);
    }

    /// <summary>
    /// Scores answers against references, as <c>ml.Regression.Evaluate</c> scores predictions: the
    /// <paramref name="predictionColumn"/> (text; <c>answer</c>, what the model adds) against the
    /// <paramref name="referencesColumn"/> (text, or a vector of text for several references).
    /// Captions get BLEU-1..4, ROUGE-L and CIDEr-D as pycocoevalcap computes them, VQA the official
    /// VQAv2 accuracy (ten human answers per row), exact the share equal to a reference.
    /// </summary>
    public VlmMetrics Evaluate(IDataView data, EvaluationTask task, string predictionColumn = "answer", string referencesColumn = "references",
        CaptionTokenization tokenization = CaptionTokenization.Words) =>
        VlmMetrics.Evaluate(data, task, predictionColumn, referencesColumn, tokenization);

    /// <summary>
    /// Loads a model folder (the <c>model/</c> a training run writes into its output folder, or a
    /// <c>.vlm</c> folder). The base folders are where <c>vlm.json</c> says (relative to the model
    /// folder) unless <paramref name="bases"/> names them elsewhere.
    /// </summary>
    public VlmTransformer LoadFolder(string folder, TensorPrecision precision = TensorPrecision.Auto, VlmBaseFolders? bases = null)
    {
        var predictor = ReadPredictor(folder, TorchDevice.Select(_ml), precision, bases);
        return new VlmTransformer(_ml, predictor, Lora(predictor));
    }

    ITransformer Restore(ITransformer loaded, Queue<VlmPredictor> stages)
    {
        if (IsVlmMapping(loaded) && stages.TryDequeue(out var predictor))
            return new VlmTransformer(_ml, predictor, Lora(predictor));
        if (loaded is TransformerChain<ITransformer> chain)
            return new TransformerChain<ITransformer>([.. chain.Select(t => Restore(t, stages))]);
        return loaded;
    }

    static bool IsVlmMapping(ITransformer transformer)
    {
        var type = transformer.GetType();
        return type.IsGenericType && type.Name.StartsWith("CustomMappingTransformer", StringComparison.Ordinal)
            && type.GetGenericArguments() is [var source, var destination] && source == typeof(VlmInput) && destination == typeof(VlmOutput);
    }

    internal static VlmPredictor ReadPredictor(string folder, TorchSharp.torch.Device device, TensorPrecision precision, VlmBaseFolders? bases = null)
    {
        var (model, spec, processor) = VlmModelFolder.Read(folder, device, TorchDevice.DType(precision, device), bases);
        return new VlmPredictor(model, spec, processor) { Folder = folder };
    }

    static LoraOptions? Lora(VlmPredictor predictor) =>
        predictor.Spec.Train == TrainableParts.ProjectorAndLora ? VlmModelFolder.ReadAdapterOptions(predictor.Folder!) : null;
}
