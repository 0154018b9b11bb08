using SkiaSharp;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Models.Vision;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;

namespace Vlm.Tests.Trainers.Training;

/// <summary>A processor's images as the tower's input: normalisation, CLIP's centre crop against SigLIP's squash, channel order, bad files.</summary>
public class PixelTensorsTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    /// <summary>A 200 x 100 image: the left quarter red, the middle half green, the right quarter blue.</summary>
    string Stripes()
    {
        using var bitmap = new SKBitmap(200, 100);
        using (var canvas = new SKCanvas(bitmap))
        using (var paint = new SKPaint())
        {
            foreach (var (left, right, colour) in new[] { (0, 50, SKColors.Red), (50, 150, SKColors.Lime), (150, 200, SKColors.Blue) })
            {
                paint.Color = colour;
                canvas.DrawRect(left, 0, right - left, 100, paint);
            }
        }
        string path = _root.File("stripes.png");
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        File.WriteAllBytes(path, data.ToArray());
        return path;
    }

    static float[] Values(TorchSharp.torch.Tensor pixels)
    {
        using (pixels) return pixels.data<float>().ToArray();
    }

    static float At(float[] pixels, int size, int channel, int y, int x) => pixels[channel * size * size + y * size + x];

    [Fact]
    public void Clip_keeps_the_centre_square_and_normalises_with_its_mean_and_std()
    {
        var clip = VlmProcessor.ForImages(new VisionConfig { Kind = VisionKind.Clip, ImageSize = 16, PatchSize = 8 }.ImageProcessor(null));
        var pixels = Values(clip.Pixels([Stripes()]));
        Assert.Equal(3 * 16 * 16, pixels.Length);
        // Resized to 32 x 16 (6.25 source pixels an output pixel), then columns 8..23 kept: the source's green
        // middle (x 50..150). Away from the crop's edges (bicubic reaches 12.5 source pixels) it is all green:
        // G = (1 - 0.4578275) / 0.26130258, R = (0 - 0.48145466) / 0.26862954.
        foreach (var (y, x) in new[] { (0, 4), (8, 8), (15, 11), (3, 6) })
        {
            Assert.Equal((0 - 0.48145466f) / 0.26862954f, At(pixels, 16, 0, y, x), 4);
            Assert.Equal((1 - 0.4578275f) / 0.26130258f, At(pixels, 16, 1, y, x), 4);
            Assert.Equal((0 - 0.40821073f) / 0.27577711f, At(pixels, 16, 2, y, x), 4);
        }
        // The crop comes after the resize, as in Hugging Face's processor: the edge columns carry some of the red next to them.
        Assert.True(At(pixels, 16, 0, 8, 0) > (0 - 0.48145466f) / 0.26862954f + 0.1f);
    }

    [Fact]
    public void Siglip_squashes_the_whole_image_so_red_stays_left_and_blue_right()
    {
        var siglip = VlmProcessor.ForImages(new VisionConfig { Kind = VisionKind.Siglip, ImageSize = 16, PatchSize = 8 }.ImageProcessor(null));
        var pixels = Values(siglip.Pixels([Stripes()]));
        Assert.Equal(1f, At(pixels, 16, 0, 8, 1), 2); // red: (1 - 0.5) / 0.5
        Assert.Equal(-1f, At(pixels, 16, 2, 8, 1), 2);
        Assert.Equal(1f, At(pixels, 16, 1, 8, 8), 2); // green
        Assert.Equal(1f, At(pixels, 16, 2, 8, 14), 2); // blue
        Assert.Equal(-1f, At(pixels, 16, 0, 8, 14), 2);
    }

    [Fact]
    public void Encoded_bytes_give_the_same_values_as_their_file_and_bad_bytes_are_named()
    {
        var clip = VlmProcessor.ForImages(new VisionConfig { ImageSize = 16, PatchSize = 8 }.ImageProcessor(null));
        string file = Stripes();
        Assert.Equal(Values(clip.Pixels([file])), Values(clip.Pixels(File.ReadAllBytes(file), "upload")));
        var e = Assert.Throws<InvalidDataException>(() => clip.Pixels("not a picture"u8.ToArray(), "the upload"));
        Assert.Contains("the upload: the image cannot be read", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_an_image_is_named_in_the_error()
    {
        string notes = _root.File("notes.png");
        File.WriteAllText(notes, "not a picture");
        var clip = VlmProcessor.ForImages(new VisionConfig { ImageSize = 16, PatchSize = 8 }.ImageProcessor(null));
        var e = Assert.Throws<InvalidDataException>(() => clip.Pixels([notes]));
        Assert.Contains("notes.png: the image cannot be read", e.Message);
        Assert.Throws<FileNotFoundException>(() => clip.Pixels([_root.File("missing.png")]));
    }
}
