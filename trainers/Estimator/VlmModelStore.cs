namespace Vlm.Trainers.Estimator;

/// <summary>
/// Where the VLM stage of a pipeline being saved or loaded keeps its weights. ML.NET gives a
/// transformer outside its own assemblies no way to write into <c>model.zip</c> (its save context
/// is internal) and loads a custom stage by contract name alone, so <see cref="VlmCatalog.Save"/>
/// and <see cref="VlmCatalog.Load"/> name the weights folder here for the duration of the call.
/// </summary>
internal static class VlmModelStore
{
    static readonly AsyncLocal<string?> SaveFolder = new();
    static readonly AsyncLocal<LoadRequest?> LoadFrom = new();

    internal sealed record LoadRequest(string Folder, TorchSharp.torch.Device Device, Training.TensorPrecision Precision)
    {
        /// <summary>The predictors the factory built during the load, in order.</summary>
        public List<VlmPredictor> Loaded { get; } = [];
    }

    public static string? CurrentSaveFolder => SaveFolder.Value;
    public static LoadRequest? CurrentLoad => LoadFrom.Value;

    public static T Saving<T>(string folder, Func<T> save)
    {
        SaveFolder.Value = folder;
        try { return save(); } finally { SaveFolder.Value = null; }
    }

    public static T Loading<T>(LoadRequest request, Func<T> load)
    {
        LoadFrom.Value = request;
        try { return load(); } finally { LoadFrom.Value = null; }
    }
}
