using SkiaSharp;
using Vlm.Datasets.Images;

namespace Vlm.Tests.Datasets.Images;

/// <summary>The processor's steps after the resize: the centre crop (and the padding of a larger crop), rescale and normalise in float32, channel planes.</summary>
public class ImageProcessorTests
{
    /// <summary>An image whose pixel (x, y) is (10x + y, 100 + x, 200 - y).</summary>
    static RgbaImage Ramp(int width, int height)
    {
        var pixels = new byte[width * height * 4];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                int i = (y * width + x) * 4;
                (pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]) = ((byte)(10 * x + y), (byte)(100 + x), (byte)(200 - y), 255);
            }
        return new RgbaImage(width, height, pixels);
    }

    static float Normalised(int value, double mean, double std) => ((float)(value * (1.0 / 255)) - (float)mean) / (float)std;

    [Fact]
    public void A_crop_larger_than_the_image_pads_with_zero_pixels_placed_as_transformers_places_them()
    {
        // No resize (the shortest edge is already 4), crop 7 x 6 around a 4 x 4 image: transformers puts the
        // image at ceil((7 - 4) / 2) = 2 rows and ceil((6 - 4) / 2) = 1 column from the top left.
        var config = ImageProcessorConfig.Clip(4) with { CropHeight = 7, CropWidth = 6 };
        var values = new ImageProcessor(config).Process(Ramp(4, 4));
        Assert.Equal(3 * 7 * 6, values.Length);
        float At(int c, int y, int x) => values[c * 42 + y * 6 + x];
        Assert.Equal(Normalised(0, config.ImageMean[0], config.ImageStd[0]), At(0, 0, 0));
        Assert.Equal(Normalised(0, config.ImageMean[2], config.ImageStd[2]), At(2, 6, 5));
        Assert.Equal(Normalised(0, config.ImageMean[1], config.ImageStd[1]), At(1, 2, 0));
        Assert.Equal(Normalised(10 * 0 + 0, config.ImageMean[0], config.ImageStd[0]), At(0, 2, 1));
        Assert.Equal(Normalised(10 * 3 + 3, config.ImageMean[0], config.ImageStd[0]), At(0, 5, 4));
        Assert.Equal(Normalised(100 + 2, config.ImageMean[1], config.ImageStd[1]), At(1, 3, 3));
        Assert.Equal(Normalised(200 - 1, config.ImageMean[2], config.ImageStd[2]), At(2, 3, 3));
    }

    [Fact]
    public void An_odd_crop_takes_the_floor_offset()
    {
        // 5 x 3 resized to shortest edge 3 (no change) and cropped 3 x 3: columns (5 - 3) // 2 = 1 to 3.
        var config = ImageProcessorConfig.Clip(3) with { DoNormalize = false, DoRescale = false };
        var values = new ImageProcessor(config).Process(Ramp(5, 3));
        Assert.Equal([10f, 20f, 30f], values[..3]);
    }

    [Fact]
    public void Without_rescale_or_normalisation_the_values_are_the_bytes_and_without_a_crop_the_size_follows_the_image()
    {
        var config = ImageProcessorConfig.Clip(3) with { DoCenterCrop = false, DoRescale = false, DoNormalize = false };
        var processor = new ImageProcessor(config);
        Assert.Equal((3, 5), processor.OutputSize(3, 5));
        var values = processor.Process(Ramp(5, 3));
        Assert.Equal(3 * 15, values.Length);
        Assert.Equal(10f * 4 + 2, values[2 * 5 + 4]); // red at (4, 2)
        Assert.Equal(200f - 2, values[30 + 2 * 5 + 4]); // blue
    }

    [Fact]
    public void Straight_colours_of_a_translucent_png_are_kept_as_pil_convert_rgb_keeps_them()
    {
        // Written by PIL: (200, 100, 50, alpha 128) and (10, 20, 30, alpha 0); PIL's convert("RGB") gives [(200, 100, 50), (10, 20, 30)].
        byte[] png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAYAAAD0In+KAAAAEUlEQVR4nGM4kWLUwCUixwAADVECG7JHIzUAAAAASUVORK5CYII=");
        var image = ImageDecoder.Decode(png, "translucent.png");
        Assert.Equal(new byte[] { 200, 100, 50 }, image.Pixels[..3]);
        Assert.Equal(new byte[] { 10, 20, 30 }, image.Pixels[4..7]);
    }

    [Fact]
    public void A_truncated_or_foreign_file_is_an_error_naming_it()
    {
        using var bitmap = new SKBitmap(64, 64);
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        byte[] png = data.ToArray();
        var truncated = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode(png[..(png.Length / 2)], "half.png"));
        Assert.Contains("half.png: the image cannot be read", truncated.Message);
        var foreign = Assert.Throws<InvalidDataException>(() => ImageDecoder.Decode("GIF? no"u8.ToArray(), "notes.txt"));
        Assert.Contains("notes.txt: the image cannot be read (not a PNG, JPEG, GIF, BMP or WebP)", foreign.Message);
    }
}
