using TorchSharp;

namespace Vlm.Trainers.Checkpoints;

/// <summary>Named tensors to load from: a checkpoint folder (possibly sharded) or one safetensors file.</summary>
internal interface ITensorSource
{
    /// <summary>The folder or file, for error messages.</summary>
    string Location { get; }
    IEnumerable<string> Names { get; }
    torch.Tensor Load(string name, torch.ScalarType? dtype = null, torch.Device? device = null);
}
