using System.Globalization;
using System.Text.RegularExpressions;
using Vlm.Pipeline.Commands;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Pipeline.Commands;

/// <summary><c>vlm cache-features</c>, then <c>vlm train --vision_features</c>: the same run as from the images but for fp16 rounding; misuse refused.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class CacheFeaturesCommandTests : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    static double[] Losses(string output) =>
        [.. Regex.Matches(output, @"^step \d+  loss ([0-9.]+)", RegexOptions.Multiline).Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture))];

    [Fact]
    public void Training_from_cached_features_follows_training_from_the_images()
    {
        TinyTrainingRun.Prepare(_root, samples: 6);
        var cache = CommandHarness.Run(new CacheFeaturesCommand(), "--data", _root.File("shards"), "--vision", _root.File("tiny/vision"), "--output", _root.File("features"), "--batch_size", "4");
        Assert.True(cache.Code == 0, cache.Out + cache.Err);
        Assert.Contains("6 images x [4, 16] F16", cache.Out);

        var fromImages = CommandHarness.Run(new TrainCommand(), [.. TinyTrainingRun.Train(_root, "images", batch: 3, steps: 4, saveSteps: 4, loraDropout: 0)[1..]]);
        var fromCache = CommandHarness.Run(new TrainCommand(), [.. TinyTrainingRun.Train(_root, "cached", batch: 3, steps: 4, saveSteps: 4, loraDropout: 0, "--vision_features", _root.File("features"))[1..]]);
        Assert.True(fromImages.Code == 0, fromImages.Out + fromImages.Err);
        Assert.True(fromCache.Code == 0, fromCache.Out + fromCache.Err);
        double[] a = Losses(fromImages.Out), b = Losses(fromCache.Out);
        Assert.Equal(4, a.Length);
        Assert.Equal(4, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.True(Math.Abs(a[i] - b[i]) < 1e-3, $"step {i + 1}: loss {a[i]} from images, {b[i]} from cached features");
        Assert.True(Directory.Exists(_root.File("cached/model")));
    }

    [Fact]
    public void A_second_cache_into_the_same_folder_a_trained_tower_and_another_towers_features_are_refused()
    {
        TinyTrainingRun.Prepare(_root, samples: 3);
        string[] cache = ["--data", _root.File("shards"), "--vision", _root.File("tiny/vision"), "--output", _root.File("features")];
        Assert.Equal(0, CommandHarness.Run(new CacheFeaturesCommand(), cache).Code);
        var again = CommandHarness.Run(new CacheFeaturesCommand(), cache);
        Assert.Equal(1, again.Code);
        Assert.Contains("already holds cached features", again.Err);

        var tower = CommandHarness.Run(new TrainCommand(), [.. TinyTrainingRun.Train(_root, "tower", batch: 3, steps: 1, saveSteps: 1, loraDropout: 0, "--vision_features", _root.File("features"), "--train_vision_tower")[1..]]);
        Assert.NotEqual(0, tower.Code);
        Assert.Contains("cannot train the tower", tower.Err);

        Assert.Equal(0, CommandHarness.Run(new InitTinyCommand(), "--out", _root.File("other"), "--hidden", "16", "--layers", "1", "--image_size", "16", "--patch-size", "8", "--seed", "3").Code);
        string[] other = TinyTrainingRun.Train(_root, "other-run", batch: 3, steps: 1, saveSteps: 1, loraDropout: 0, "--vision_features", _root.File("features"))[1..];
        other[Array.IndexOf(other, "--vision") + 1] = _root.File("other/vision");
        var refused = CommandHarness.Run(new TrainCommand(), other);
        Assert.Equal(1, refused.Code);
        Assert.Contains("another tower or layer", refused.Err);
    }
}
