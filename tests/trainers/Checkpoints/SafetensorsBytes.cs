using System.Buffers.Binary;
using System.Text;

namespace Vlm.Tests.Trainers.Checkpoints;

/// <summary>Builds safetensors files byte by byte, as the format's documentation lays them out.</summary>
internal static class SafetensorsBytes
{
    public static byte[] Build(string headerJson, byte[] data, ulong? declaredHeaderLength = null)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(4 * i), values[i]);
        return bytes;
    }
}
