using TorchSharp;

namespace Vlm.Trainers.Checkpoints;

/// <summary>The element types of the safetensors format and their TorchSharp equivalents.</summary>
internal static class SafetensorsDType
{
    /// <summary>Bytes per element for every dtype the format defines; null for names it does not define.</summary>
    public static int? ElementSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" or "F8_E4M3" or "F8_E5M2" => 1,
        _ => null,
    };

    /// <summary>The TorchSharp type for a dtype, or null where TorchSharp has none (unsigned wide ints, 8-bit floats).</summary>
    public static torch.ScalarType? ToTorch(string dtype) => dtype switch
    {
        "F64" => torch.ScalarType.Float64,
        "F32" => torch.ScalarType.Float32,
        "F16" => torch.ScalarType.Float16,
        "BF16" => torch.ScalarType.BFloat16,
        "I64" => torch.ScalarType.Int64,
        "I32" => torch.ScalarType.Int32,
        "I16" => torch.ScalarType.Int16,
        "I8" => torch.ScalarType.Int8,
        "U8" => torch.ScalarType.Byte,
        "BOOL" => torch.ScalarType.Bool,
        _ => null,
    };

    public static string FromTorch(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Float64 => "F64",
        torch.ScalarType.Float32 => "F32",
        torch.ScalarType.Float16 => "F16",
        torch.ScalarType.BFloat16 => "BF16",
        torch.ScalarType.Int64 => "I64",
        torch.ScalarType.Int32 => "I32",
        torch.ScalarType.Int16 => "I16",
        torch.ScalarType.Int8 => "I8",
        torch.ScalarType.Byte => "U8",
        torch.ScalarType.Bool => "BOOL",
        _ => throw new NotSupportedException($"safetensors has no dtype for {type}"),
    };
}
