using SkiaSharp;
using Vlm.Tests.TestSupport;
using Vlm.Tests.Trainers.Models;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Features;

/// <summary>A frozen tower's features cached once: the same loss as running the tower (but for fp16 rounding), and another tower's cache refused.</summary>
public class VisionFeatureCacheTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    static readonly SKColor[] Colours = [SKColors.Red, SKColors.Blue, SKColors.Green];

    /// <summary>Rows with an image (4 image tokens, the question, a labelled answer), one text-only row, and one image used twice.</summary>
    List<TrainingExample> Rows()
    {
        var rows = new List<TrainingExample>();
        for (int i = 0; i < Colours.Length; i++)
        {
            string name = $"img{i}.png";
            TestImages.Write(_root.File(name), 16 + 4 * i, 16, color: Colours[i]);
            long t = TinyModels.ImageToken;
            rows.Add(new([(int)t, (int)t, (int)t, (int)t, 5, 6, 7 + i], [-100, -100, -100, -100, -100, 6, 7 + i], name, $"sha-{i}"));
        }
        rows.Add(new([8, 9, 10], [-100, 9, 10], null));
        rows.Add(rows[0] with { InputIds = [.. rows[0].InputIds[..^1], 20], Labels = [.. rows[0].Labels[..^1], 20] });
        return rows;
    }

    (VlmModel Model, string Tower, VisionFeatureCache Cache) Cached(IReadOnlyList<TrainingExample> rows, int batchSize)
    {
        var model = TinyModels.Vlm(seed: 4);
        string tower = _root.File("tower");
        VlmModelFolder.WriteVisionFolder(model, tower);
        using (var loaded = VlmModelFolder.ReadTower(tower, out var selection))
        {
            var images = rows.Where(r => r.Image is not null).DistinctBy(r => r.ImageSha256).Select(r => (r.ImageSha256!, _root.File(r.Image!))).ToList();
            VisionFeatureCache.Build(loaded, selection, tower, VlmProcessor.ForImages(loaded.Config.ImageProcessor(tower)), images, _root.File("features"), batchSize);
        }
        return (model, tower, VisionFeatureCache.Open(_root.File("features"), TowerFingerprint.Of(tower, model.Features.Layer, model.DropsFirstToken)));
    }

    static float Loss(VlmModel model, IReadOnlyList<TrainingExample> rows, IBatchImages images)
    {
        using var scope = NewDisposeScope();
        var (ids, keep, labels, pixels) = TrainingBatch.Create(rows, images).ToTensors(CPU);
        return model.Loss(ids, keep, labels, pixels).Loss.item<float>();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void The_loss_from_cached_features_is_the_towers_loss_with_its_features_rounded_to_fp16(int batchSize)
    {
        var rows = Rows();
        var (model, tower, cache) = Cached(rows, batchSize);
        using var _ = model;
        using var __ = cache;
        Assert.Equal(3, cache.Images);
        var decoded = new DecodedImages(VlmProcessor.ForImages(model.VisionTower.Config.ImageProcessor(tower)), _root.Path);

        float fromPixels = Loss(model, rows, decoded), fromCache = Loss(model, rows, cache);
        float rounded;
        using (NewDisposeScope())
        using (no_grad())
        {
            // The tower's own features, rounded as the cache stores them, through the cached-features path.
            var (ids, keep, labels, pixels) = TrainingBatch.Create(rows, decoded).ToTensors(CPU);
            var features = model.VisionTower.Features(pixels!, model.Features.Layer, model.DropsFirstToken).to(float16).to(float32);
            rounded = model.Loss(ids, keep, labels, features).Loss.item<float>();
        }
        Assert.Equal(rounded, fromCache);
        // fp16 keeps 11 significant bits: features move by ~5e-4 of themselves, the loss by far less than 1e-3.
        Assert.True(Math.Abs(fromPixels - fromCache) < 1e-3, $"loss from pixels {fromPixels}, from cached features {fromCache}");
    }

    [Fact]
    public void Another_towers_or_layers_cache_an_image_it_lacks_and_a_second_build_are_refused()
    {
        var rows = Rows();
        var (model, tower, cache) = Cached(rows, 2);
        using var _ = model;
        using var __ = cache;

        var otherLayer = Assert.Throws<InvalidDataException>(() => VisionFeatureCache.Open(_root.File("features"), TowerFingerprint.Of(tower, -1, true)));
        Assert.Contains("another tower or layer", otherLayer.Message);
        using (var other = TinyModels.Vlm(seed: 5)) VlmModelFolder.WriteVisionFolder(other, _root.File("other-tower"));
        Assert.Throws<InvalidDataException>(() => VisionFeatureCache.Open(_root.File("features"), TowerFingerprint.Of(_root.File("other-tower"), -2, true)));

        var missing = Assert.Throws<InvalidDataException>(() => cache.Load([rows[0] with { Image = "new.png", ImageSha256 = "sha-new" }]));
        Assert.Contains("new.png", missing.Message);
        var unhashed = Assert.Throws<InvalidDataException>(() => cache.Load([rows[0] with { ImageSha256 = null }]));
        Assert.Contains("image_sha256", unhashed.Message);

        using var loaded = VlmModelFolder.ReadTower(tower, out var selection);
        Assert.Throws<IOException>(() => VisionFeatureCache.Build(loaded, selection, tower, VlmProcessor.ForImages(loaded.Config.ImageProcessor(tower)),
            [("sha-0", _root.File("img0.png"))], _root.File("features")));
    }
}
