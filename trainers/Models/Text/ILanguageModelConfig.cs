using System.Text.Json.Nodes;

namespace Vlm.Trainers.Models.Text;

/// <summary>What the VLM reads from either LLM's config.</summary>
internal interface ILanguageModelConfig
{
    int VocabSize { get; }
    int HiddenSize { get; }
    int NumHiddenLayers { get; }
    /// <summary>The most positions (prompt and answer) the model takes: <c>max_position_embeddings</c>.</summary>
    int ContextLength { get; }

    /// <summary>Tensors the checkpoint must hold as this config describes them (checked before the model is built).</summary>
    IEnumerable<Checkpoints.ExpectedTensor> ExpectedTensors();

    /// <summary>The config as the model's own library writes it.</summary>
    JsonObject ToJson();
}
