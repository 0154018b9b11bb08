using Vlm.Tests.TestSupport;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Qwen;

namespace Vlm.Tests.Trainers.Models;

/// <summary>Parameter roles come from the modules that hold them, whatever the parameters are called.</summary>
[Collection(TorchRandomCollection.Name)]
public class ParameterRolesTests
{
    [Fact]
    public void Norms_adapters_biases_and_weights_are_told_apart_by_module_type()
    {
        using var model = TinyModels.Vlm();
        LoraLayers.Add(model.LanguageModel, new LoraOptions { Rank = 2, Alpha = 4, Dropout = 0, TargetModules = "q_proj|v_proj" });
        var roles = ParameterRoles.Of(model);

        Assert.Equal(ParameterRole.Norm, roles["language_model.model.layers.0.input_layernorm.weight"]);
        Assert.Equal(ParameterRole.Norm, roles["vision_tower.vision_model.encoder.layers.0.layer_norm1.bias"]); // a vector, but a norm's
        Assert.Equal(ParameterRole.Adapter, roles["language_model.model.layers.0.self_attn.q_proj.lora_A.weight"]);
        Assert.Equal(ParameterRole.Bias, roles["language_model.model.layers.0.self_attn.q_proj.bias"]);
        Assert.Equal(ParameterRole.Weight, roles["language_model.model.layers.0.self_attn.q_proj.weight"]);
        Assert.Equal(ParameterRole.Weight, roles["multi_modal_projector.linear_1.weight"]);
        Assert.Equal(4, roles.Values.Count(r => r == ParameterRole.Adapter) / model.LanguageModel.NumHiddenLayers);
        Assert.False(ParameterRoles.IsBase(model)("language_model.model.layers.0.self_attn.v_proj.lora_B.weight"));
    }

    [Fact]
    public void Qwen_7b_norms_are_found_though_their_names_say_ln()
    {
        using var qwen = new QwenLMHeadModel(new QwenConfig { VocabSize = 32, HiddenSize = 16, IntermediateSize = 32, NumHiddenLayers = 1, NumAttentionHeads = 2, KvChannels = 8 });
        var roles = ParameterRoles.Of(qwen);
        Assert.Equal(ParameterRole.Norm, roles["transformer.h.0.ln_1.weight"]);
        Assert.Equal(ParameterRole.Norm, roles["transformer.ln_f.weight"]);
        Assert.Equal(ParameterRole.Bias, roles["transformer.h.0.attn.c_attn.bias"]);
    }
}
