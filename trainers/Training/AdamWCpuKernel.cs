using System.Numerics;
using TorchSharp;
using Vlm.Trainers.Checkpoints;
using static TorchSharp.torch;

namespace Vlm.Trainers.Training;

/// <summary>
/// AdamW's update for a contiguous fp32 CPU parameter in one pass over parameter, gradient and both
/// moments, SIMD-wide and split across cores. The same arithmetic as PyTorch's single-tensor AdamW,
/// element by element; written because the update is memory-bound and the tensor-op form reads and
/// writes the 151,936-row embedding about twenty times a step, where this reads it four times and
/// writes it three (most of a small model's step on a CPU: see AdamW).
/// </summary>
internal static class AdamWCpuKernel
{
    const int Chunk = 1 << 16;

    /// <summary>Whether <paramref name="p"/> and its state can take the fused update.</summary>
    public static bool Applies(Tensor p, Tensor grad, Tensor m, Tensor v) =>
        p.device_type == DeviceType.CPU && p.dtype == ScalarType.Float32 && grad.dtype == ScalarType.Float32
        && p.is_contiguous() && grad.is_contiguous() && m.is_contiguous() && v.is_contiguous();

    /// <summary>p = p * decay - stepSize * m' / (sqrt(v') / correction2 + eps), with m' and v' the updated moments.</summary>
    public static unsafe void Step(Tensor p, Tensor grad, Tensor m, Tensor v, float decay, float beta1, float beta2, float stepSize, float correction2, float eps)
    {
        float* pp = (float*)NativeTensorMemory.DataPointer(p), gp = (float*)NativeTensorMemory.DataPointer(grad);
        float* mp = (float*)NativeTensorMemory.DataPointer(m), vp = (float*)NativeTensorMemory.DataPointer(v);
        long n = p.numel();
        int chunks = (int)((n + Chunk - 1) / Chunk);
        Parallel.For(0, chunks, chunk =>
        {
            long start = (long)chunk * Chunk, end = Math.Min(n, start + Chunk);
            Update(pp + start, gp + start, mp + start, vp + start, (int)(end - start), decay, beta1, beta2, stepSize, correction2, eps);
        });
    }

    static unsafe void Update(float* p, float* g, float* m, float* v, int count, float decay, float beta1, float beta2, float stepSize, float correction2, float eps)
    {
        int width = Vector<float>.Count, i = 0;
        var d = new Vector<float>(decay);
        var b1 = new Vector<float>(beta1);
        var b2 = new Vector<float>(beta2);
        var ob1 = new Vector<float>(1 - beta1);
        var ob2 = new Vector<float>(1 - beta2);
        var c2 = new Vector<float>(correction2);
        var e = new Vector<float>(eps);
        var s = new Vector<float>(stepSize);
        for (; i <= count - width; i += width)
        {
            var gi = *(Vector<float>*)(g + i);
            var mi = *(Vector<float>*)(m + i) * b1 + gi * ob1;
            var vi = *(Vector<float>*)(v + i) * b2 + gi * gi * ob2;
            *(Vector<float>*)(m + i) = mi;
            *(Vector<float>*)(v + i) = vi;
            *(Vector<float>*)(p + i) = *(Vector<float>*)(p + i) * d - s * mi / (Vector.SquareRoot(vi) / c2 + e);
        }
        for (; i < count; i++)
        {
            float gi = g[i];
            float mi = m[i] * beta1 + gi * (1 - beta1);
            float vi = v[i] * beta2 + gi * gi * (1 - beta2);
            m[i] = mi;
            v[i] = vi;
            p[i] = p[i] * decay - stepSize * mi / (MathF.Sqrt(vi) / correction2 + eps);
        }
    }
}
