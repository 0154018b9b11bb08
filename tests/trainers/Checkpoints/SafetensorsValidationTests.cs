using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Tests.Trainers.Checkpoints;

/// <summary>Each kind of malformed or hostile file fails with its own reason, naming file and tensor.</summary>
public class SafetensorsValidationTests
{
    static CheckpointFormatException OpenBad(byte[] bytes)
    {
        using var temp = new TempFolder();
        string path = temp.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<CheckpointFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.FilePath);
        Assert.Contains(path, e.Message);
        return e;
    }

    const string OneTensor = """{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}""";

    [Fact]
    public void Truncated_before_the_length_prefix()
    {
        var e = OpenBad([1, 2, 3]);
        Assert.Null(e.TensorName);
        Assert.Contains("truncated file: 3 bytes", e.Reason);
    }

    [Fact]
    public void Truncated_inside_the_data()
    {
        var full = SafetensorsBytes.Build(OneTensor, SafetensorsBytes.Floats(1, 2));
        var e = OpenBad(full[..^3]);
        Assert.Equal("w", e.TensorName);
        Assert.Contains("outside the data section of 5 bytes", e.Reason);
    }

    [Fact]
    public void Header_length_larger_than_the_file()
    {
        var e = OpenBad(SafetensorsBytes.Build(OneTensor, SafetensorsBytes.Floats(1, 2), declaredHeaderLength: 1_000_000));
        Assert.Contains("header length 1000000 is out of range", e.Reason);
    }

    [Fact]
    public void Header_length_beyond_the_limit_is_refused_before_allocating()
    {
        var e = OpenBad(SafetensorsBytes.Build(OneTensor, [], declaredHeaderLength: ulong.MaxValue));
        Assert.Contains($"header length {ulong.MaxValue} is out of range", e.Reason);
    }

    [Fact]
    public void Header_that_is_not_json()
    {
        var e = OpenBad(SafetensorsBytes.Build("{\"w\" 1}", []));
        Assert.Contains("not valid JSON", e.Reason);
    }

    [Fact]
    public void Unknown_dtype()
    {
        var e = OpenBad(SafetensorsBytes.Build("""{"w":{"dtype":"F31","shape":[2],"data_offsets":[0,8]}}""", new byte[8]));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("unknown dtype 'F31'", e.Reason);
    }

    [Fact]
    public void Duplicate_tensor_names()
    {
        var e = OpenBad(SafetensorsBytes.Build(
            """{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}""", new byte[8]));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("duplicate tensor name", e.Reason);
    }

    [Fact]
    public void Shape_that_does_not_match_the_byte_length()
    {
        var e = OpenBad(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}""", new byte[8]));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("needs 12 bytes but data_offsets span 8", e.Reason);
    }

    [Fact]
    public void Offsets_outside_the_data()
    {
        var e = OpenBad(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}""", new byte[8]));
        Assert.Contains("[8, 16] lie outside the data section of 8 bytes", e.Reason);
    }

    [Fact]
    public void Offsets_reversed()
    {
        var e = OpenBad(SafetensorsBytes.Build("""{"w":{"dtype":"U8","shape":[0],"data_offsets":[8,0]}}""", new byte[8]));
        Assert.Contains("lie outside the data section", e.Reason);
    }

    [Fact]
    public void Overlapping_offsets()
    {
        var e = OpenBad(SafetensorsBytes.Build(
            """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", new byte[12]));
        Assert.Equal("b", e.TensorName);
        Assert.Contains("overlap tensor 'a'", e.Reason);
    }

    [Fact]
    public void Shape_whose_size_overflows()
    {
        var e = OpenBad(SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[9223372036854775807,4],"data_offsets":[0,8]}}""", new byte[8]));
        Assert.Contains("too large to address", e.Reason);
    }
}
