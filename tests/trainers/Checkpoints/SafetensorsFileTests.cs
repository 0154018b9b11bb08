using System.Buffers.Binary;
using System.Text.Json;
using TorchSharp;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;

namespace Vlm.Tests.Trainers.Checkpoints;

[Collection(TorchRandomCollection.Name)]
public class SafetensorsFileTests
{
    [Fact]
    public void Reads_a_file_laid_out_by_hand_from_the_format_description()
    {
        using var temp = new TempFolder();
        string path = temp.File("hand.safetensors");
        File.WriteAllBytes(path, SafetensorsBytes.Build(
            """{"__metadata__":{"format":"pt"},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]},"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]}}""",
            SafetensorsBytes.Floats(1, 2, 3, 4, 5)));
        using var file = SafetensorsFile.Open(path);
        using var a = file.Read("a");
        using var b = file.Read("b");
        Assert.Equal(new float[] { 1, 2, 3 }, a.data<float>().ToArray());
        Assert.Equal(new float[] { 4, 5 }, b.data<float>().ToArray());
        Assert.Equal("pt", file.Header.Metadata["format"]);
    }

    [Fact]
    public void Every_dtype_round_trips_through_write_and_read()
    {
        using var temp = new TempFolder();
        using var scope = torch.NewDisposeScope();
        var tensors = new Dictionary<string, torch.Tensor>
        {
            ["f64"] = torch.randn(3, 2, dtype: torch.float64),
            ["f32"] = torch.randn(4, 5),
            ["f16"] = torch.randn(7).to(torch.float16),
            ["bf16"] = torch.randn(2, 3).to(torch.bfloat16),
            ["i64"] = torch.arange(5, dtype: torch.int64),
            ["i32"] = torch.arange(-3, 3, dtype: torch.int32),
            ["i16"] = torch.arange(4, dtype: torch.int16),
            ["i8"] = torch.arange(-4, 4, dtype: torch.int8),
            ["u8"] = torch.arange(250, 256, dtype: torch.uint8),
            ["bool"] = torch.tensor(new[] { true, false, true }),
            ["scalar"] = torch.tensor(3.5f),
            ["empty"] = torch.zeros(0, 4),
        };
        string path = temp.File("all.safetensors");
        SafetensorsWriter.Write(path, tensors, new Dictionary<string, string> { ["format"] = "pt" });
        using var file = SafetensorsFile.Open(path);
        foreach (var (name, expected) in tensors)
        {
            var actual = file.Read(name);
            Assert.Equal(expected.dtype, actual.dtype);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(expected.eq(actual).all().item<bool>(), name);
        }
        Assert.Equal("pt", file.Header.Metadata["format"]);
    }

    [Fact]
    public void Written_header_is_space_padded_to_eight_bytes_and_data_is_contiguous()
    {
        using var temp = new TempFolder();
        using var scope = torch.NewDisposeScope();
        string path = temp.File("layout.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, torch.Tensor> { ["w"] = torch.ones(3), ["b"] = torch.zeros(1) });
        var bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(8 + headerLength + 16, bytes.Length);
        using var doc = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        Assert.Equal("[0,4]", doc.RootElement.GetProperty("b").GetProperty("data_offsets").GetRawText());
        Assert.Equal("[4,16]", doc.RootElement.GetProperty("w").GetProperty("data_offsets").GetRawText());
    }

    [Fact]
    public void Read_converts_to_the_requested_dtype()
    {
        using var temp = new TempFolder();
        using var scope = torch.NewDisposeScope();
        var source = torch.randn(8, 8);
        string path = temp.File("f32.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, torch.Tensor> { ["x"] = source });
        using var file = SafetensorsFile.Open(path);
        var bf16 = file.Read("x", torch.bfloat16);
        Assert.Equal(torch.ScalarType.BFloat16, bf16.dtype);
        Assert.True(bf16.eq(source.to(torch.bfloat16)).all().item<bool>());
    }

    [Fact]
    public void A_failed_write_leaves_the_existing_file_intact_and_no_temporary_file()
    {
        using var temp = new TempFolder();
        using var scope = torch.NewDisposeScope();
        string path = temp.File("keep.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, torch.Tensor> { ["x"] = torch.ones(2) });
        var before = File.ReadAllBytes(path);
        Assert.Throws<NotSupportedException>(() => SafetensorsWriter.Write(path,
            new Dictionary<string, torch.Tensor> { ["y"] = torch.zeros(2, dtype: torch.complex64) }));
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFiles(temp.Path));
    }

    [Fact]
    public void Missing_file_is_reported_by_name()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafetensorsFile.Open("/nonexistent/model.safetensors"));
        Assert.Contains("/nonexistent/model.safetensors", e.Message);
    }
}
