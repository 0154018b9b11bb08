using Vlm.Tests.TestSupport;
using Vlm.Tests.Trainers.Models;
using Vlm.Trainers.Checkpoints;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Checkpoints;

[Collection(TorchRandomCollection.Name)]
public class ModuleWeightsTests : IDisposable
{
    readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    string WriteProjector(Func<string, Tensor, (string, Tensor)?> edit)
    {
        using var model = TinyModels.Vlm(seed: 7);
        var tensors = model.named_parameters().Where(p => p.name.StartsWith("multi_modal_projector.", StringComparison.Ordinal))
            .Select(p => edit(p.name, p.parameter.detach())).OfType<(string Name, Tensor Value)>()
            .Select(t => KeyValuePair.Create(t.Name, t.Value)).ToList();
        string path = _folder.File("projector.safetensors");
        SafetensorsWriter.Write(path, tensors);
        return path;
    }

    [Fact]
    public void A_saved_projector_loads_into_another_model_exactly()
    {
        string path = WriteProjector((n, t) => (n, t));
        using var target = TinyModels.Vlm(seed: 8);
        VlmModelFolder.ReadProjector(target, path);
        using var source = TinyModels.Vlm(seed: 7);
        foreach (var ((_, a), (_, b)) in source.Projector.named_parameters().Zip(target.Projector.named_parameters()))
            Assert.Equal(0f, (a - b).abs().max().item<float>());
    }

    [Fact]
    public void A_tensor_with_no_parameter_is_an_error_naming_it()
    {
        string path = WriteProjector((n, t) => (n, t));
        SafetensorsWriter.Write(path, [KeyValuePair.Create("multi_modal_projector.linear_3.weight", zeros(2, 2))]);
        using var model = TinyModels.Vlm();
        var e = Assert.Throws<CheckpointFormatException>(() => VlmModelFolder.ReadProjector(model, path));
        Assert.Contains("multi_modal_projector.linear_3.weight", e.Message);
    }

    [Fact]
    public void A_missing_tensor_is_an_error_naming_the_parameter()
    {
        string path = WriteProjector((n, t) => n.EndsWith("linear_2.bias") ? null : (n, t));
        using var model = TinyModels.Vlm();
        var e = Assert.Throws<CheckpointFormatException>(() => VlmModelFolder.ReadProjector(model, path));
        Assert.Contains("multi_modal_projector.linear_2.bias", e.Message);
    }

    [Fact]
    public void A_wrong_shape_is_an_error_with_both_shapes()
    {
        string path = WriteProjector((n, t) => n.EndsWith("linear_1.bias") ? (n, zeros(5)) : (n, t));
        using var model = TinyModels.Vlm();
        var e = Assert.Throws<CheckpointFormatException>(() => VlmModelFolder.ReadProjector(model, path));
        Assert.Contains("[5]", e.Message);
        Assert.Contains("[32]", e.Message);
    }
}
