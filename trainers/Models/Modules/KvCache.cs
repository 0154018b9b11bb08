using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Modules;

/// <summary>
/// Keys and values of every layer for the positions seen so far ([B, KV heads, S, D] each), so that
/// generation feeds one new token per step instead of the whole sequence.
/// </summary>
internal sealed class KvCache(int layers) : IDisposable
{
    readonly Tensor?[] _keys = new Tensor?[layers], _values = new Tensor?[layers];

    /// <summary>Positions already cached.</summary>
    public long Length => _keys[0]?.shape[2] ?? 0;

    /// <summary>Rotary bases chosen when the prompt was read, kept for the tokens generated after it (Qwen-7B's dynamic NTK picks them from the prompt's length).</summary>
    public IReadOnlyList<double>? RotaryBases { get; set; }

    /// <summary>Appends this step's keys and values for <paramref name="layer"/> and returns all of them.</summary>
    public (Tensor Keys, Tensor Values) Append(int layer, Tensor keys, Tensor values)
    {
        var k = _keys[layer] is { } pk ? cat([pk, keys], 2) : keys.alias();
        var v = _values[layer] is { } pv ? cat([pv, values], 2) : values.alias();
        _keys[layer]?.Dispose();
        _values[layer]?.Dispose();
        _keys[layer] = k.DetachFromDisposeScope();
        _values[layer] = v.DetachFromDisposeScope();
        return (k.alias(), v.alias());
    }

    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values)) t?.Dispose();
    }
}
