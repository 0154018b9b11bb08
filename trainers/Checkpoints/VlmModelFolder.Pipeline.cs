using Vlm.Trainers.Estimator;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// Where the VLM stage of an ML.NET pipeline being saved or loaded keeps its weights: a model folder
/// beside the pipeline's zip. ML.NET gives a transformer outside its own assemblies no way to write
/// into <c>model.zip</c> (its save context is internal) and loads a custom stage by contract name
/// alone, so <see cref="VlmCatalog.Save"/> and <see cref="VlmCatalog.Load"/> name the folder here for
/// the duration of the call.
/// </summary>
internal static partial class VlmModelFolder
{
    static readonly AsyncLocal<string?> PipelineSaveFolder = new();
    static readonly AsyncLocal<PipelineLoad?> PipelineLoadFrom = new();

    internal sealed record PipelineLoad(string Folder, TorchSharp.torch.Device Device, Training.TensorPrecision Precision)
    {
        /// <summary>The predictors the factory built during the load, in order.</summary>
        public List<VlmPredictor> Loaded { get; } = [];
    }

    /// <summary>
    /// Where an ML.NET pipeline saved as <paramref name="zipPath"/> keeps its VLM stage's weights: beside
    /// it (<c>model.zip</c> -> <c>model.vlm</c>), as ML.NET gives a stage of another assembly no way into the zip.
    /// </summary>
    public static string BesideZip(string zipPath) => Path.ChangeExtension(Path.GetFullPath(zipPath), ".vlm");

    /// <summary>The folder the VLM stage of the pipeline being saved writes into, or null outside a save.</summary>
    public static string? CurrentPipelineSave => PipelineSaveFolder.Value;
    /// <summary>What the pipeline being loaded asks of its VLM stage, or null outside a load.</summary>
    public static PipelineLoad? CurrentPipelineLoad => PipelineLoadFrom.Value;

    public static T SavingPipeline<T>(string folder, Func<T> save)
    {
        PipelineSaveFolder.Value = folder;
        try { return save(); } finally { PipelineSaveFolder.Value = null; }
    }

    public static T LoadingPipeline<T>(PipelineLoad request, Func<T> load)
    {
        PipelineLoadFrom.Value = request;
        try { return load(); } finally { PipelineLoadFrom.Value = null; }
    }
}
