using Vlm.Trainers.Models.Text;

namespace Vlm.Trainers.Models.Qwen2;

/// <summary>Hugging Face's <c>Qwen2ForCausalLM</c>: the Llama-style decoder with bias on q, k and v.</summary>
internal sealed class Qwen2ForCausalLM(Qwen2Config config) : DecoderForCausalLM(nameof(Qwen2ForCausalLM), config.Decoder)
{
    public Qwen2Config Config { get; } = config;

    public override ILanguageModelConfig Settings => Config;
    public override TextFamily Family => Qwen2Family.Instance;
}
