using SkiaSharp;

namespace Vlm.Tests.TestSupport;

/// <summary>Small generated images in real formats.</summary>
internal static class TestImages
{
    public static void Write(string path, int width, int height, SKEncodedImageFormat format = SKEncodedImageFormat.Png, SKColor? color = null)
    {
        using var bitmap = new SKBitmap(width, height);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(color ?? SKColors.White);
            using var paint = new SKPaint { Color = SKColors.Red };
            canvas.DrawCircle(width / 2f, height / 2f, Math.Min(width, height) / 4f, paint);
        }
        using var data = bitmap.Encode(format, 90);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, data.ToArray());
    }
}
