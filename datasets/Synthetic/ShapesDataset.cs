using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vlm.Datasets.Synthetic;

/// <summary>
/// A synthetic dataset of shapes, written in every real annotation format the ETL reads, with its
/// images: LLaVA-Instruct JSON and JSONL (two-round English questions), AI Challenger captions
/// (five Chinese captions per image) and COCO captions (English). Seeded: the same seed and count
/// give the same files. Used by the tests, the shipped samples and the demo.
/// </summary>
public static class ShapesDataset
{
    public const string ImagesFolder = "images";
    public const string LlavaFile = "llava.json";
    public const string LlavaJsonlFile = "llava.jsonl";
    public const string AiChallengerFile = "aichallenger.json";
    public const string CocoFile = "coco_captions.json";

    /// <summary>Writes <paramref name="count"/> scenes into <paramref name="folder"/>; returns them in order. <paramref name="jitter"/> varies each drawing (see <see cref="ShapeScene"/>).</summary>
    public static IReadOnlyList<ShapeScene> Write(string folder, int count, int seed = 42, int imageSize = 64, bool jitter = false)
    {
        var random = new Random(seed);
        var scenes = Enumerable.Range(0, count).Select(_ => ShapeScene.Random(random, jitter)).ToList();
        Directory.CreateDirectory(Path.Combine(folder, ImagesFolder));
        var llava = new JsonArray();
        var aic = new JsonArray();
        var cocoImages = new JsonArray();
        var cocoAnnotations = new JsonArray();
        for (int i = 0; i < count; i++)
        {
            var s = scenes[i];
            string image = $"shape_{i:D5}.png";
            File.WriteAllBytes(Path.Combine(folder, ImagesFolder, image), s.ToPng(imageSize));
            string question = "What shape is in the image?";
            llava.Add(new JsonObject
            {
                ["id"] = $"shape-{i:D5}",
                ["image"] = image,
                ["conversations"] = new JsonArray(
                    Turn("human", i % 2 == 0 ? "<image>\n" + question : question + "\n<image>"),
                    Turn("gpt", $"A {s.Size} {s.Colour} {s.Shape}."),
                    Turn("human", "What colour is it, and where is it?"),
                    Turn("gpt", $"It is {s.Colour}, on the {s.Position} of the image.")),
            });
            string shape = ShapeScene.ChineseShape[s.Shape], colour = ShapeScene.ChineseColour[s.Colour], place = ShapeScene.ChinesePosition[s.Position];
            string size = s.Size == "large" ? "大" : "小";
            aic.Add(new JsonObject
            {
                ["url"] = $"https://example.invalid/{image}",
                ["image_id"] = image,
                ["caption"] = new JsonArray(
                    $"图中有一个{colour}的{shape}。", $"一个{size}{colour}{shape}在图像的{place}。", $"白色背景上有一个{colour}{shape}。",
                    $"图像{place}是一个{size}的{colour}{shape}。", $"这是一个{colour}的{shape}。"),
            });
            cocoImages.Add(new JsonObject { ["id"] = i, ["file_name"] = image, ["width"] = imageSize, ["height"] = imageSize });
            cocoAnnotations.Add(new JsonObject { ["image_id"] = i, ["id"] = 2 * i, ["caption"] = $"A {s.Size} {s.Colour} {s.Shape} on a white background." });
            cocoAnnotations.Add(new JsonObject { ["image_id"] = i, ["id"] = 2 * i + 1, ["caption"] = $"A {s.Colour} {s.Shape} on the {s.Position}." });
        }
        var pretty = new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        var compact = new JsonSerializerOptions { Encoder = pretty.Encoder };
        File.WriteAllText(Path.Combine(folder, LlavaFile), llava.ToJsonString(pretty) + "\n");
        File.WriteAllLines(Path.Combine(folder, LlavaJsonlFile), llava.Select(r => r!.ToJsonString(compact)));
        File.WriteAllText(Path.Combine(folder, AiChallengerFile), aic.ToJsonString(pretty) + "\n");
        var coco = new JsonObject { ["info"] = new JsonObject { ["description"] = "synthetic shapes" }, ["images"] = cocoImages, ["annotations"] = cocoAnnotations };
        File.WriteAllText(Path.Combine(folder, CocoFile), coco.ToJsonString(pretty) + "\n");
        return scenes;
    }

    static JsonObject Turn(string from, string value) => new() { ["from"] = from, ["value"] = value };
}
