using System.Text.Json;
using System.Text.Json.Nodes;

namespace Vlm.Datasets.Images;

/// <summary>
/// What a Hugging Face <c>preprocessor_config.json</c> says about turning an image into pixel
/// values, for the two processors LLaVA-style towers ship with: <c>CLIPImageProcessor</c> (resize
/// the shortest edge, centre-crop) and <c>SiglipImageProcessor</c> (resize to a fixed height and
/// width). Missing keys take that processor's defaults in transformers; a value this project does
/// not implement is refused with the file and key rather than approximated. Keys neither processor
/// reads are ignored, as transformers ignores them.
/// </summary>
public sealed record ImageProcessorConfig
{
    /// <summary>OpenAI CLIP's channel statistics (transformers' <c>OPENAI_CLIP_MEAN</c> / <c>_STD</c>).</summary>
    public static readonly double[] ClipMean = [0.48145466, 0.4578275, 0.40821073], ClipStd = [0.26862954, 0.26130258, 0.27577711];

    /// <summary>transformers' <c>IMAGENET_STANDARD_MEAN</c> / <c>_STD</c>, SigLIP's defaults.</summary>
    public static readonly double[] HalfMean = [0.5, 0.5, 0.5], HalfStd = [0.5, 0.5, 0.5];

    public const string ClipType = "CLIPImageProcessor", SiglipType = "SiglipImageProcessor";

    /// <summary>Where the values came from, for errors (a file, or a description of built-in defaults).</summary>
    public string Source { get; init; } = "built-in";

    public string ProcessorType { get; init; } = ClipType;
    public bool DoResize { get; init; } = true;

    /// <summary><c>size.shortest_edge</c>: the shorter side becomes this, the longer keeps the aspect ratio (truncated).</summary>
    public int? ShortestEdge { get; init; }

    /// <summary><c>size.height</c> and <c>size.width</c>: the image is resized to exactly this.</summary>
    public int? Height { get; init; }
    public int? Width { get; init; }

    public ResampleFilter Resample { get; init; } = ResampleFilter.Bicubic;
    public bool DoCenterCrop { get; init; }
    public int CropHeight { get; init; }
    public int CropWidth { get; init; }
    public bool DoRescale { get; init; } = true;
    public double RescaleFactor { get; init; } = 1.0 / 255;
    public bool DoNormalize { get; init; } = true;
    public double[] ImageMean { get; init; } = ClipMean;
    public double[] ImageStd { get; init; } = ClipStd;

    /// <summary>CLIPImageProcessor with a square input of <paramref name="size"/> (OpenAI CLIP's values).</summary>
    public static ImageProcessorConfig Clip(int size) => new()
    {
        Source = $"CLIP defaults for {size} px",
        ShortestEdge = size, DoCenterCrop = true, CropHeight = size, CropWidth = size,
    };

    /// <summary>SiglipImageProcessor with a square input of <paramref name="size"/>.</summary>
    public static ImageProcessorConfig Siglip(int size) => new()
    {
        Source = $"SigLIP defaults for {size} px",
        ProcessorType = SiglipType, Height = size, Width = size, ImageMean = HalfMean, ImageStd = HalfStd,
    };

    /// <summary>The size every image comes out at, or null when it follows the image (a shortest-edge resize without a crop).</summary>
    public (int Height, int Width)? FixedOutputSize =>
        DoCenterCrop ? (CropHeight, CropWidth) : DoResize && Height is int h && Width is int w ? (h, w) : null;

    /// <summary>The size after the resize (before the crop), as transformers' <c>get_resize_output_image_size</c> computes it.</summary>
    public (int Height, int Width) ResizedSize(int height, int width)
    {
        if (!DoResize) return (height, width);
        if (ShortestEdge is not int edge) return (Height!.Value, Width!.Value);
        int shorter = Math.Min(width, height), longer = Math.Max(width, height);
        // Python's int(edge * long / short): an exact product, a correctly rounded division, truncation.
        int newLong = (int)((double)((long)edge * longer) / shorter);
        return width <= height ? (newLong, edge) : (edge, newLong);
    }

    /// <summary>
    /// The config as Hugging Face's <c>preprocessor_config.json</c>: <see cref="Read"/> gives these values
    /// back, and transformers' processor of <see cref="ProcessorType"/> reads them.
    /// </summary>
    public JsonObject ToJson()
    {
        JsonObject Size(int? edge, int? height, int? width) => edge is int e ? new() { ["shortest_edge"] = e } : new() { ["height"] = height, ["width"] = width };
        var json = new JsonObject
        {
            ["image_processor_type"] = ProcessorType,
            ["do_resize"] = DoResize,
            ["size"] = Size(ShortestEdge, Height, Width),
            ["resample"] = (int)Resample,
        };
        if (ProcessorType != SiglipType)
        {
            json["do_center_crop"] = DoCenterCrop;
            json["crop_size"] = Size(null, CropHeight, CropWidth);
        }
        json["do_rescale"] = DoRescale;
        json["rescale_factor"] = RescaleFactor;
        json["do_normalize"] = DoNormalize;
        json["image_mean"] = new JsonArray([.. ImageMean.Select(v => (JsonNode)v)]);
        json["image_std"] = new JsonArray([.. ImageStd.Select(v => (JsonNode)v)]);
        return json;
    }

    public static ImageProcessorConfig Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such processor config", path);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"{path}: not a JSON object");
            return FromJson(doc.RootElement, path);
        }
    }

    static ImageProcessorConfig FromJson(JsonElement root, string path)
    {
        var keys = new ConfigKeys(root, path);
        string type = keys.String("image_processor_type") ?? keys.String("feature_extractor_type") ?? ClipType;
        bool siglip = type == SiglipType;
        if (!siglip && type is not (ClipType or "CLIPFeatureExtractor"))
            throw keys.NotImplemented("image_processor_type", $"'{type}'", $"{ClipType} and {SiglipType} are");

        var config = siglip ? Siglip(224) : Clip(224);
        config = config with
        {
            Source = path,
            DoResize = keys.Bool("do_resize") ?? true,
            Resample = keys.Resample() ?? ResampleFilter.Bicubic,
            DoRescale = keys.Bool("do_rescale") ?? true,
            RescaleFactor = keys.Number("rescale_factor") ?? 1.0 / 255,
            DoNormalize = keys.Bool("do_normalize") ?? true,
            ImageMean = keys.Triple("image_mean") ?? config.ImageMean,
            ImageStd = keys.Triple("image_std") ?? config.ImageStd,
        };
        if (config.ImageStd.Any(s => s == 0)) throw keys.Invalid("image_std", "a zero would divide by zero");

        // size: an int is a shortest edge (get_size_dict with default_to_square=False), an object says which.
        var (edge, height, width) = keys.Size("size", squareInt: false) ?? (siglip ? (null, 224, 224) : (224, null, null));
        if (siglip && edge is not null) throw keys.NotImplemented("size", "shortest_edge", $"{SiglipType} resizes to size.height and size.width");
        config = config with { ShortestEdge = edge, Height = height, Width = width };

        // SiglipImageProcessor has no crop step: transformers ignores crop keys there, and so do we.
        if (!siglip)
        {
            bool crop = keys.Bool("do_center_crop") ?? true;
            var (_, cropHeight, cropWidth) = keys.Size("crop_size", squareInt: true) ?? (null, 224, 224);
            config = config with { DoCenterCrop = crop, CropHeight = cropHeight!.Value, CropWidth = cropWidth!.Value };
        }
        return config;
    }
}
