using System.Text.Json.Serialization;
using System.Text.Json;
using Vlm.Datasets.IO;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Vision;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Trainers.Features;

/// <summary>
/// A frozen tower's selected hidden state for every distinct image of a dataset, computed once and
/// read by the trainer instead of decoding and encoding the images each epoch. The folder holds
/// safetensors files of fp16 tensors [F, D] named by the image's SHA-256 (as the shards' <c>image_sha256</c>
/// column gives it) and <c>features.json</c>, written last, naming the files and the tower's
/// <see cref="TowerFingerprint"/>: features of another tower or layer are refused.
/// </summary>
internal sealed class VisionFeatureCache : IBatchImages
{
    public const string IndexFileName = "features.json";
    const long BytesPerFile = 256L << 20;

    readonly string _folder;
    readonly List<SafetensorsFile> _files;
    readonly Dictionary<string, SafetensorsFile> _byImage;

    VisionFeatureCache(string folder, CacheIndex index, List<SafetensorsFile> files)
    {
        _folder = folder;
        Index = index;
        _files = files;
        _byImage = new(StringComparer.Ordinal);
        foreach (var file in files)
            foreach (var name in file.Names)
                _byImage[name] = file;
    }

    public CacheIndex Index { get; }

    public int Images => _byImage.Count;

    /// <summary>The folder's description of itself, <c>features.json</c>.</summary>
    internal sealed record CacheIndex(
        [property: JsonPropertyName("fingerprint")] string Fingerprint,
        [property: JsonPropertyName("tower")] string Tower,
        [property: JsonPropertyName("layer")] int Layer,
        [property: JsonPropertyName("drop_first_token")] bool DropFirstToken,
        [property: JsonPropertyName("tokens")] int Tokens,
        [property: JsonPropertyName("hidden")] int Hidden,
        [property: JsonPropertyName("dtype")] string DType,
        [property: JsonPropertyName("images")] int Images,
        [property: JsonPropertyName("files")] IReadOnlyList<string> Files);

    /// <summary>Reads the tower of <paramref name="visionFolder"/> (a CLIP or SigLIP folder, or a LLaVA folder) with its image processor and builds the cache from it.</summary>
    public static CacheIndex Build(string visionFolder, IReadOnlyList<(string Sha256, string Path)> images, string folder, int batchSize = 16, Action<int, int>? progress = null)
    {
        using var tower = VlmModelFolder.ReadTower(visionFolder, out var selection);
        return Build(tower, selection, visionFolder, VlmProcessor.ForImages(tower.Config.ImageProcessor(visionFolder)), images, folder, batchSize, progress);
    }

    /// <summary>
    /// Runs <paramref name="tower"/> (no gradients) over <paramref name="images"/> (SHA-256, file path; each
    /// SHA once) in batches and writes the folder. An existing cache is refused: features are the tower's,
    /// and a half-replaced folder would mix two.
    /// </summary>
    public static CacheIndex Build(VisionTower tower, VisionFeatureOptions selection, string visionFolder, VlmProcessor processor,
        IReadOnlyList<(string Sha256, string Path)> images, string folder, int batchSize = 16, Action<int, int>? progress = null)
    {
        if (File.Exists(Path.Combine(folder, IndexFileName)))
            throw new IOException($"{folder} already holds cached features ({IndexFileName}); choose another folder or delete it");
        if (images.Count == 0) throw new ArgumentException("the data has no image to cache features of");
        var duplicate = images.GroupBy(i => i.Sha256).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"image {duplicate.Key} given twice");
        Directory.CreateDirectory(folder);
        bool drop = selection.DropsFirstToken(tower.Config);
        int tokens = selection.TokensPerImage(tower.Config), hidden = tower.Config.HiddenSize;
        int perFile = (int)Math.Max(1, BytesPerFile / (2L * tokens * hidden));
        string fingerprint = TowerFingerprint.Of(visionFolder, selection.Layer, drop);
        var weight = tower.parameters().First();
        var files = new List<string>();
        var pending = new List<KeyValuePair<string, Tensor>>();
        void Flush()
        {
            string name = $"features-{files.Count:D5}.safetensors";
            SafetensorsWriter.Write(Path.Combine(folder, name), pending, new Dictionary<string, string> { ["fingerprint"] = fingerprint });
            foreach (var (_, t) in pending) t.Dispose();
            pending.Clear();
            files.Add(name);
        }
        tower.eval();
        try
        {
            for (int start = 0; start < images.Count; start += batchSize)
            {
                var batch = images.Skip(start).Take(batchSize).ToList();
                using (var scope = NewDisposeScope())
                using (no_grad())
                {
                    var pixels = processor.Pixels([.. batch.Select(b => b.Path)]).to(weight.device).to(weight.dtype);
                    var features = tower.Features(pixels, selection.Layer, drop).to(float16).cpu();
                    for (int i = 0; i < batch.Count; i++) pending.Add(new(batch[i].Sha256, features[i].clone().DetachFromDisposeScope()));
                }
                if (pending.Count >= perFile) Flush();
                progress?.Invoke(Math.Min(start + batchSize, images.Count), images.Count);
            }
            if (pending.Count > 0) Flush();
        }
        finally
        {
            foreach (var (_, t) in pending) t.Dispose();
        }
        var index = new CacheIndex(fingerprint, Path.GetFullPath(visionFolder), selection.Layer, drop, tokens, hidden, "F16", images.Count, files);
        AtomicFile.Write(Path.Combine(folder, IndexFileName), stream => JsonSerializer.Serialize(stream, index, Json));
        return index;
    }

    /// <summary>Opens a cache for a tower whose fingerprint is <paramref name="fingerprint"/>; another tower's is refused.</summary>
    public static VisionFeatureCache Open(string folder, string fingerprint)
    {
        string path = Path.Combine(folder, IndexFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"{folder}: no {IndexFileName}; this is not a finished feature cache (vlm cache-features writes it last)", path);
        CacheIndex index;
        try
        {
            index = JsonSerializer.Deserialize<CacheIndex>(File.ReadAllBytes(path), Json) ?? throw new InvalidDataException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a feature cache index ({e.Message})", e);
        }
        if (index.Fingerprint != fingerprint)
            throw new InvalidDataException($"{folder}: the features were made by another tower or layer ({index.Tower}, layer {index.Layer}, first token {(index.DropFirstToken ? "dropped" : "kept")}; "
                + "its files or settings differ from this run's); run vlm cache-features again with this run's vision folder");
        var files = new List<SafetensorsFile>();
        try
        {
            foreach (var name in index.Files) files.Add(SafetensorsFile.Open(Path.Combine(folder, name)));
            return new VisionFeatureCache(folder, index, files);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
    }

    /// <summary>The cached features [N, F, D] (float32, CPU) of the rows with an image, in row order.</summary>
    public Tensor? Load(IReadOnlyList<Training.TrainingExample> rows)
    {
        var withImage = rows.Where(r => r.Image is not null).ToList();
        if (withImage.Count == 0) return null;
        using var scope = NewDisposeScope();
        var features = withImage.Select(r =>
        {
            if (r.ImageSha256 is null)
                throw new InvalidDataException($"the row with image {r.Image} has no image_sha256; cached features are found by it (prepare the data with vlm prepare)");
            if (!_byImage.TryGetValue(r.ImageSha256, out var file))
                throw new InvalidDataException($"{_folder}: no features for image {r.Image} (sha256 {r.ImageSha256}); the cache was made from other data (run vlm cache-features on these shards)");
            return file.Read(r.ImageSha256, float32);
        }).ToList();
        return stack(features).DetachFromDisposeScope();
    }

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }

    static readonly JsonSerializerOptions Json = new() { WriteIndented = true };
}
