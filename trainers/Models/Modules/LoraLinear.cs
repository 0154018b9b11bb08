using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// A linear layer (<c>weight</c> [out, in], optional <c>bias</c>, Hugging Face's names) that can carry
/// a LoRA adapter: <c>y = x W^T + b + scale * B(A(dropout(x)))</c> with <c>scale = alpha / r</c>,
/// A initialised as peft does (Kaiming uniform) and B at zero, so a fresh adapter changes nothing.
/// The adapter's parameters are <c>lora_A.weight</c> [r, in] and <c>lora_B.weight</c> [out, r]: with
/// peft's <c>base_model.model.</c> prefix these are the keys of peft's <c>adapter_model.safetensors</c>.
/// Under a bf16 or fp16 base the adapter is float32, as peft makes it (<c>autocast_adapter_dtype</c>):
/// its input is cast up and its update cast back to the base's type, so the small trainable
/// matrices keep full precision for AdamW while the frozen base stays half-size.
/// </summary>
internal sealed class LoraLinear : TorchSharp.torch.nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly Parameter weight;
    readonly Parameter? bias;
    Linear? lora_A, lora_B;
    Dropout? _dropout;
    Scalar? _scale; // alpha / rank, a field so that it outlives the native calls (Scalars explains)
    bool _merged;

    /// <param name="uniformBias">draw the bias as <c>nn.Linear</c> does (uniform within 1/sqrt(in)) rather than zero: a
    /// module that used <c>nn.Linear</c> then draws the same random numbers, so a seed builds the same model as before</param>
    public LoraLinear(long inFeatures, long outFeatures, bool hasBias, bool uniformBias = false) : base(nameof(LoraLinear))
    {
        weight = nn.Parameter(empty(outFeatures, inFeatures));
        nn.init.kaiming_uniform_(weight, Math.Sqrt(5));
        if (hasBias)
        {
            bias = nn.Parameter(zeros(outFeatures));
            if (uniformBias)
                using (no_grad()) nn.init.uniform_(bias, -1 / Math.Sqrt(inFeatures), 1 / Math.Sqrt(inFeatures));
        }
        RegisterComponents();
    }

    public Parameter Weight => weight;
    public Parameter? Bias => bias;
    public bool HasAdapter => lora_A is not null;

    /// <summary>The adapter's A and B weights (none before <see cref="AddAdapter"/>).</summary>
    public IEnumerable<Parameter> AdapterParameters => lora_A is null ? [] : [lora_A.weight!, lora_B!.weight!];
    public long InFeatures => weight.shape[1];
    public long OutFeatures => weight.shape[0];

    /// <summary>Adds a fresh adapter; the base weights are frozen.</summary>
    public void AddAdapter(int rank, double alpha, double dropout)
    {
        if (HasAdapter) throw new InvalidOperationException("this layer already has an adapter");
        var type = AdapterType(weight.dtype);
        lora_A = nn.Linear(InFeatures, rank, hasBias: false, device: weight.device, dtype: type);
        lora_B = nn.Linear(rank, OutFeatures, hasBias: false, device: weight.device, dtype: type);
        nn.init.kaiming_uniform_(lora_A.weight!, Math.Sqrt(5));
        nn.init.zeros_(lora_B.weight!);
        _dropout = dropout > 0 ? nn.Dropout(dropout) : null;
        _scale = ((double)alpha / rank).ToScalar();
        register_module(nameof(lora_A), lora_A);
        register_module(nameof(lora_B), lora_B);
        if (_dropout is not null) register_module("lora_dropout", _dropout);
        weight.requires_grad = false;
        bias?.requires_grad_(false);
    }

    public override Tensor forward(Tensor x)
    {
        var y = nn.functional.linear(x, weight, bias);
        if (lora_A is null || _merged) return y;
        using var scope = NewDisposeScope();
        var h = (_dropout is null ? x : _dropout.forward(x)).to(lora_A.weight!.dtype);
        return y.add_(lora_B!.forward(lora_A.forward(h)).to(y.dtype), _scale!).MoveToOuterDisposeScope();
    }

    /// <summary>The adapter's type under a base of <paramref name="baseType"/>: float32 under a half-precision base, else the base's.</summary>
    public static ScalarType AdapterType(ScalarType baseType) => baseType is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : baseType;

    /// <summary>Folds the adapter into the weight (faster inference); <see cref="Unmerge"/> takes it out again.</summary>
    public void Merge()
    {
        if (lora_A is null || _merged) return;
        using var _ = no_grad();
        weight.add_(lora_B!.weight!.matmul(lora_A.weight!), _scale!);
        _merged = true;
    }

    public void Unmerge()
    {
        if (lora_A is null || !_merged) return;
        using var _ = no_grad();
        using var update = lora_B!.weight!.matmul(lora_A.weight!).mul_(_scale!);
        weight.sub_(update);
        _merged = false;
    }
}
