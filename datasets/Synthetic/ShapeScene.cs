using SkiaSharp;

namespace Vlm.Datasets.Synthetic;

/// <summary>One generated image: a single shape of one colour and size at one place on white.</summary>
public sealed record ShapeScene(string Shape, string Colour, string Size, string Position)
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

    public static ShapeScene Random(Random random) => new(
        Shapes[random.Next(Shapes.Length)], Colours[random.Next(Colours.Length)],
        Sizes[random.Next(Sizes.Length)], Positions[random.Next(Positions.Length)]);

    /// <summary>Draws the scene as a PNG of <paramref name="size"/> x <paramref name="size"/> pixels.</summary>
    public byte[] ToPng(int size)
    {
        using var bitmap = new SKBitmap(size, size);
        using (var canvas = new SKCanvas(bitmap))
        {
            canvas.Clear(SKColors.White);
            float radius = size * (Size == "large" ? 0.22f : 0.11f);
            var (cx, cy) = Position switch
            {
                "left" => (size * 0.27f, size * 0.5f),
                "right" => (size * 0.73f, size * 0.5f),
                "top" => (size * 0.5f, size * 0.27f),
                "bottom" => (size * 0.5f, size * 0.73f),
                _ => (size * 0.5f, size * 0.5f),
            };
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
