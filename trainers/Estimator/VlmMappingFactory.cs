using Microsoft.ML.Transforms;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Trainers.Estimator;

/// <summary>
/// Rebuilds the VLM stage when ML.NET loads a <c>model.zip</c> holding it: ML.NET finds this class by
/// the contract name the zip records and asks it for the mapping; the weights come from the folder
/// <see cref="VlmCatalog.Load"/> named (see <see cref="VlmModelFolder.CurrentPipelineLoad"/>).
/// </summary>
[CustomMappingFactoryAttribute(VlmTransformer.ContractName)]
public sealed class VlmMappingFactory : CustomMappingFactory<VlmInput, VlmOutput>
{
    public override Action<VlmInput, VlmOutput> GetMapping()
    {
        var request = VlmModelFolder.CurrentPipelineLoad
            ?? throw new InvalidOperationException("this model.zip holds a VLM stage whose weights live in the folder next to it: load it with mlContext.Vlm().Load(path, out schema)");
        var predictor = VlmCatalog.ReadPredictor(request.Folder, request.Device, request.Precision);
        request.Loaded.Add(predictor);
        return VlmTransformer.Mapping(predictor);
    }
}
