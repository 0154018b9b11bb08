using TorchSharp;
using Vlm.Datasets.IO;

namespace Vlm.Trainers.Checkpoints;

/// <summary>Writes tensors as a safetensors file, atomically (a temporary file renamed into place).</summary>
internal static class SafetensorsWriter
{
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var duplicate = list.GroupBy(t => t.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"tensor name '{duplicate.Key}' given twice", nameof(tensors));

        var entries = new List<SafetensorsEntry>(list.Count);
        long offset = 0;
        foreach (var (name, tensor) in list)
        {
            long bytes = NativeTensorMemory.ByteLength(tensor);
            entries.Add(new SafetensorsEntry(name, SafetensorsDType.FromTorch(tensor.dtype), tensor.shape, offset, offset + bytes));
            offset += bytes;
        }
        byte[] header = SafetensorsHeader.Serialize(entries, metadata);

        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (_, tensor) in list) WriteData(stream, tensor);
        });
    }

    static unsafe void WriteData(Stream stream, torch.Tensor tensor)
    {
        using var scope = torch.NewDisposeScope();
        var cpu = tensor.detach().cpu().contiguous();
        long remaining = NativeTensorMemory.ByteLength(cpu);
        byte* data = (byte*)NativeTensorMemory.DataPointer(cpu);
        while (remaining > 0)
        {
            int chunk = (int)Math.Min(remaining, 1 << 26);
            stream.Write(new ReadOnlySpan<byte>(data, chunk));
            data += chunk;
            remaining -= chunk;
        }
    }
}
