using SkiaSharp;

namespace Vlm.Datasets.Synthetic;

/// <summary>
/// One generated image: a single shape of one colour and size at one place on white. The jitter
/// (an offset and a scale, in fractions of the image) varies the drawing without changing what the
/// scene is, so held-out images differ from every training image.
/// </summary>
public sealed record ShapeScene(string Shape, string Colour, string Size, string Position, float OffsetX = 0, float OffsetY = 0, float Scale = 1)
{
    public static readonly string[] Shapes = ["circle", "square", "triangle"];
    public static readonly string[] Colours = ["red", "green", "blue", "yellow"];
    public static readonly string[] Sizes = ["small", "large"];
    public static readonly string[] Positions = ["left", "right", "top", "bottom", "center"];

    static readonly Dictionary<string, SKColor> Paint = new()
    {
        ["red"] = new SKColor(220, 30, 30),
        ["green"] = new SKColor(30, 170, 60),
        ["blue"] = new SKColor(30, 60, 220),
        ["yellow"] = new SKColor(235, 200, 20),
    };

    public static readonly IReadOnlyDictionary<string, string> ChineseShape = new Dictionary<string, string>
    {
        ["circle"] = "圆形", ["square"] = "正方形", ["triangle"] = "三角形",
    };

    public static readonly IReadOnlyDictionary<string, string> ChineseColour = new Dictionary<string, string>
    {
        ["red"] = "红色", ["green"] = "绿色", ["blue"] = "蓝色", ["yellow"] = "黄色",
    };

    public static readonly IReadOnlyDictionary<string, string> ChinesePosition = new Dictionary<string, string>
    {
        ["left"] = "左边", ["right"] = "右边", ["top"] = "上方", ["bottom"] = "下方", ["center"] = "中间",
    };

    public static ShapeScene Random(Random random, bool jitter = false)
    {
        var scene = new ShapeScene(Shapes[random.Next(Shapes.Length)], Colours[random.Next(Colours.Length)],
            Sizes[random.Next(Sizes.Length)], Positions[random.Next(Positions.Length)]);
        if (!jitter) return scene;
        // Offsets up to 6% of the image and scales of 0.85-1.15 keep every position and size recognisable.
        return scene with { OffsetX = (float)(random.NextDouble() * 0.12 - 0.06), OffsetY = (float)(random.NextDouble() * 0.12 - 0.06), Scale = (float)(0.85 + random.NextDouble() * 0.3) };
    }

    /// <summary>Draws the scene as a PNG of <paramref name="size"/> x <paramref name="size"/> pixels.</summary>
    public byte[] ToPng(int size)
    {
        using var bitmap = new SKBitmap(size, size);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            float radius = size * (Size == "large" ? 0.22f : 0.11f) * Scale;
            var (cx, cy) = Position switch
            {
                "left" => (size * 0.27f, size * 0.5f),
                "right" => (size * 0.73f, size * 0.5f),
                "top" => (size * 0.5f, size * 0.27f),
                "bottom" => (size * 0.5f, size * 0.73f),
                _ => (size * 0.5f, size * 0.5f),
            };
            (cx, cy) = (cx + OffsetX * size, cy + OffsetY * size);
            using var paint = new SKPaint { Color = Paint[Colour], IsAntialias = false, Style = SKPaintStyle.Fill };
            switch (Shape)
            {
                case "circle":
                    canvas.DrawCircle(cx, cy, radius, paint);
                    break;
                case "square":
                    canvas.DrawRect(cx - radius, cy - radius, 2 * radius, 2 * radius, paint);
                    break;
                default:
                    using (var path = new SKPath())
                    {
                        path.MoveTo(cx, cy - radius);
                        path.LineTo(cx + radius, cy + radius);
                        path.LineTo(cx - radius, cy + radius);
                        path.Close();
                        canvas.DrawPath(path, paint);
                    }
                    break;
            }
        }
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100);
        return data.ToArray();
    }
}
