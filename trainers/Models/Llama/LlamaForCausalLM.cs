using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Models.Llama;

/// <summary>Hugging Face's <c>LlamaForCausalLM</c>: the Llama-style decoder, biases as the config says.</summary>
internal sealed class LlamaForCausalLM(LlamaConfig config) : DecoderForCausalLM(nameof(LlamaForCausalLM), config.Decoder)
{
    public LlamaConfig Config { get; } = config;

    public override ILanguageModelConfig Settings => Config;
    public override TextFamily Family => LlamaFamily.Instance;
}
