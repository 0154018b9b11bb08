using Vlm.Datasets.Images;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Images;

/// <summary><c>preprocessor_config.json</c> read as transformers reads it: defaults, old int sizes, the resize arithmetic, and refusals that name the file and key.</summary>
public class ImageProcessorConfigTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    string Write(string json)
    {
        string path = _root.File($"config-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Fact]
    public void A_clip_config_with_old_int_sizes_reads_as_shortest_edge_and_square_crop()
    {
        var config = ImageProcessorConfig.Read(Write("""{"feature_extractor_type": "CLIPFeatureExtractor", "size": 336, "crop_size": 336, "do_center_crop": true}"""));
        Assert.Equal(336, config.ShortestEdge);
        Assert.Equal((336, 336), config.FixedOutputSize);
        Assert.Equal(ResampleFilter.Bicubic, config.Resample);
        Assert.Equal(ImageProcessorConfig.ClipMean, config.ImageMean);
    }

    [Fact]
    public void Siglip_defaults_to_its_half_mean_and_no_crop_and_ignores_crop_keys()
    {
        var config = ImageProcessorConfig.Read(Write("""{"image_processor_type": "SiglipImageProcessor", "size": {"height": 384, "width": 384}, "do_center_crop": true, "do_convert_rgb": null}"""));
        Assert.False(config.DoCenterCrop);
        Assert.Equal((384, 384), config.FixedOutputSize);
        Assert.Equal([0.5, 0.5, 0.5], config.ImageMean);
    }

    [Theory]
    [InlineData(400, 260, 224, 344)] // landscape: int(224 * 400 / 260) = int(344.6)
    [InlineData(240, 360, 336, 224)] // portrait: 224 * 360 / 240 = 336 exactly
    [InlineData(7, 5, 224, 313)]     // tiny: int(313.6)
    [InlineData(224, 224, 224, 224)]
    public void The_shortest_edge_resize_truncates_the_long_side_as_python_does(int width, int height, int expectedHeightOrWidth, int other)
    {
        var (h, w) = ImageProcessorConfig.Clip(224).ResizedSize(height, width);
        Assert.Equal(width >= height ? (224, other) : (expectedHeightOrWidth, 224), (h, w));
    }

    [Theory]
    [InlineData("""{"image_processor_type": "SiglipImageProcessor", "size": {"shortest_edge": 384}}""", "size shortest_edge is not implemented")]
    [InlineData("""{"size": {"shortest_edge": 224, "longest_edge": 448}}""", "size with keys {longest_edge, shortest_edge} is not implemented")]
    [InlineData("""{"resample": 0}""", "resample 0 (nearest) is not implemented")]
    [InlineData("""{"image_processor_type": "LlavaNextImageProcessor"}""", "image_processor_type 'LlavaNextImageProcessor' is not implemented")]
    [InlineData("""{"crop_size": {"shortest_edge": 224}}""", "crop_size with keys {shortest_edge} is not implemented")]
    public void A_value_it_does_not_implement_is_refused_with_the_file_and_key(string json, string expected)
    {
        string path = Write(json);
        var e = Assert.Throws<NotSupportedException>(() => ImageProcessorConfig.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("""{"image_mean": [0.5, 0.5]}""", "image_mean: expected three numbers")]
    [InlineData("""{"image_std": [0.5, 0, 0.5]}""", "image_std: a zero would divide by zero")]
    [InlineData("""{"resample": 9}""", "resample: expected one of PIL's filters 0-5")]
    [InlineData("""{"size": -3}""", "size: expected a size from 1 to 16384 pixels")]
    [InlineData("""{"do_resize": "yes"}""", "do_resize: expected true or false")]
    [InlineData("""[1, 2]""", "not a JSON object")]
    [InlineData("""{"size": """, "not valid JSON")]
    public void A_malformed_value_is_an_error_naming_the_file_and_key(string json, string expected)
    {
        string path = Write(json);
        var e = Assert.Throws<InvalidDataException>(() => ImageProcessorConfig.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Resample_0_is_accepted_when_nothing_is_resized()
    {
        var config = ImageProcessorConfig.Read(Write("""{"resample": 0, "do_resize": false, "do_center_crop": false}"""));
        Assert.False(config.DoResize);
        Assert.Null(config.FixedOutputSize);
    }

    public static TheoryData<string> WrittenConfigs => ["clip16", "siglip384", "bilinear-uncropped", "siglip-no-normalise"];

    static ImageProcessorConfig Named(string name) => name switch
    {
        "clip16" => ImageProcessorConfig.Clip(16),
        "siglip384" => ImageProcessorConfig.Siglip(384),
        "bilinear-uncropped" => ImageProcessorConfig.Clip(20) with { Resample = ResampleFilter.Bilinear, DoCenterCrop = false, ImageMean = [0.1, 0.2, 0.3], ImageStd = [0.4, 0.5, 0.6] },
        "siglip-no-normalise" => ImageProcessorConfig.Siglip(32) with { Height = 32, Width = 48, DoNormalize = false, DoRescale = false, Resample = ResampleFilter.Lanczos },
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(WrittenConfigs))]
    public void A_written_config_reads_back_as_the_same_processor(string name)
    {
        var config = Named(name);
        string path = _root.File(name + ".json");
        File.WriteAllText(path, config.ToJson().ToJsonString());
        var read = ImageProcessorConfig.Read(path);
        // The records compare their arrays by reference: the statistics are compared apart.
        double[] apart = [];
        Assert.Equal(config with { Source = path, ImageMean = apart, ImageStd = apart }, read with { ImageMean = apart, ImageStd = apart });
        Assert.Equal(config.ImageMean, read.ImageMean);
        Assert.Equal(config.ImageStd, read.ImageStd);
        Assert.Equal(config.FixedOutputSize, read.FixedOutputSize);
    }
}
