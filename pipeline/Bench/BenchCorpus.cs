using System.Text;
using Vlm.Datasets.Synthetic;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// The tokenizer benchmark's text, one sample per line: English answers, Chinese captions and
/// mixed lines in equal parts, built from the shapes vocabulary and longer phrases, seeded.
/// </summary>
internal static class BenchCorpus
{
    static readonly string[] English =
    [
        "The picture shows a busy street with people walking past small shops.",
        "Two dogs are playing in the snow next to a wooden fence.",
        "What is the man on the left holding in his hand?",
        "A plate of pasta with tomato sauce, basil leaves and grated cheese.",
        "The train is leaving the station; the platform is almost empty.",
    ];

    static readonly string[] Chinese =
    [
        "一个穿着红色衣服的女人在公园里散步。",
        "两个孩子在海边的沙滩上堆沙堡。",
        "街道两旁停满了汽车，远处有一座高楼。",
        "桌子上放着一杯咖啡和一本打开的书。",
        "一只黑色的猫趴在窗台上晒太阳。",
    ];

    public static IReadOnlyList<string> Lines(int count, int seed = 7)
    {
        var random = new Random(seed);
        var lines = new List<string>(count);
        for (int i = 0; i < count; i++)
        {
            var s = ShapeScene.Random(random);
            string english = $"A {s.Size} {s.Colour} {s.Shape} on the {s.Position} of the image. " + English[random.Next(English.Length)];
            string chinese = $"图像{ShapeScene.ChinesePosition[s.Position]}是一个{ShapeScene.ChineseColour[s.Colour]}的{ShapeScene.ChineseShape[s.Shape]}。" + Chinese[random.Next(Chinese.Length)];
            lines.Add((i % 3) switch
            {
                0 => english,
                1 => chinese,
                _ => new StringBuilder().Append(English[random.Next(English.Length)]).Append(" 也就是说，").Append(chinese).Append(" (").Append(random.Next(1000)).Append(')').ToString(),
            });
        }
        return lines;
    }

    /// <summary>FNV-1a over every id and a line separator, in order: the same function the peer script computes.</summary>
    public static uint Checksum(IEnumerable<IReadOnlyList<int>> idLists)
    {
        uint hash = 2166136261;
        void Mix(uint v)
        {
            hash ^= v;
            hash *= 16777619;
        }
        foreach (var ids in idLists)
        {
            foreach (int id in ids) Mix((uint)id);
            Mix(0xffffffff);
        }
        return hash;
    }
}
