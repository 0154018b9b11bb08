namespace Vlm.Datasets.Images;

/// <summary>
/// Large buffers kept per thread and reused from image to image: decoded, resized and intermediate
/// pixels are megabytes each, and a fresh managed array of that size per image (zeroed, on the
/// large-object heap, collected in gen 2) cost as much as a fifth of decoding the image.
/// </summary>
internal static class ScratchBuffer
{
    /// <summary><paramref name="buffer"/> if it holds <paramref name="length"/> items, else a larger one stored in it. The contents are not cleared.</summary>
    public static T[] AtLeast<T>(ref T[]? buffer, int length) =>
        buffer is not null && buffer.Length >= length ? buffer : buffer = GC.AllocateUninitializedArray<T>(Math.Max(length, (buffer?.Length ?? 0) * 2));
}
