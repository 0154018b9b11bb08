using SkiaSharp;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Features;
using Vlm.Trainers.Models.Vision;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Tests.Trainers.Training;

/// <summary>A batch made on the decoding thread and handed to the training step.</summary>
public class TrainingBatchTests : IDisposable
{
    readonly TempFolder _images = new();

    public void Dispose() => _images.Dispose();

    [Fact]
    public async Task Images_decoded_on_another_thread_reach_the_step_intact_and_are_freed_with_its_scope()
    {
        TestImages.Write(_images.File("red.png"), 20, 12, color: SKColors.Red);
        TestImages.Write(_images.File("blue.png"), 12, 20, color: SKColors.Blue);
        var preprocessor = VlmProcessor.ForImages(new VisionConfig { Kind = VisionKind.Siglip, ImageSize = 16, PatchSize = 8 }.ImageProcessor(null));
        TrainingExample[] examples = [new([1, 2], [-100, 2], "red.png"), new([3], [3], null), new([4, 5, 6], [-100, -100, 6], "blue.png")];
        float[] expected;
        using (var direct = preprocessor.Pixels([_images.File("red.png"), _images.File("blue.png")])) expected = direct.data<float>().ToArray();

        var batch = await Task.Run(() => TrainingBatch.Create(examples, new DecodedImages(preprocessor, _images.Path)));
        Tensor pixels;
        using (NewDisposeScope())
        {
            var (ids, _, labels, handed) = batch.ToTensors(CPU);
            pixels = handed!;
            Assert.Equal(new long[] { 2, 3, 16, 16 }, pixels.shape);
            Assert.Equal(expected, pixels.data<float>().ToArray());
            Assert.Equal(new long[] { 1, 2, 0, 3, 0, 0, 4, 5, 6 }, ids.data<long>().ToArray());
            Assert.Equal(new long[] { -100, 2, -100, 3, -100, -100, -100, -100, 6 }, labels.data<long>().ToArray());
        }
        Assert.True(pixels.IsInvalid);
    }
}
