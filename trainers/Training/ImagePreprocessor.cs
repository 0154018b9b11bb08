using Vlm.Datasets.Images;
using Vlm.Trainers.Checkpoints;
using static TorchSharp.torch;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Trainers.Training;

/// <summary>
/// Images to the tower's input, [N, 3, Size, Size]: decoded (<see cref="ImageDecoder"/>) and run
/// through the tower's Hugging Face processor (<see cref="ImageProcessor"/>: Pillow's resize, the
/// centre crop, rescale and normalise), read from the tower folder's <c>preprocessor_config.json</c>
/// when it has one, else CLIP's or SigLIP's published values at the tower's image size. Training,
/// prediction, chat and serve all come through here.
/// </summary>
internal sealed class ImagePreprocessor
{
    readonly ImageProcessor _processor;

    ImagePreprocessor(ImageProcessor processor, int size)
    {
        _processor = processor;
        Size = size;
    }

    public int Size { get; }

    public static ImagePreprocessor For(VisionConfig tower, string? towerFolder)
    {
        string? file = towerFolder is null ? null : Path.Combine(towerFolder, "preprocessor_config.json");
        var config = file is not null && File.Exists(file) ? ImageProcessorConfig.Read(file)
            : tower.Kind == VisionKind.Clip ? ImageProcessorConfig.Clip(tower.ImageSize) : ImageProcessorConfig.Siglip(tower.ImageSize);
        var preprocessor = Square(config);
        if (preprocessor.Size != tower.ImageSize)
            throw new InvalidDataException($"{config.Source}: the processor makes {preprocessor.Size} x {preprocessor.Size} images but the tower's image_size is {tower.ImageSize}");
        return preprocessor;
    }

    /// <summary>The processor a <c>preprocessor_config.json</c> describes on its own (no tower at hand); it must make square images of one size.</summary>
    public static ImagePreprocessor FromProcessorConfig(string path) => Square(ImageProcessorConfig.Read(path));

    static ImagePreprocessor Square(ImageProcessorConfig config)
    {
        var size = config.FixedOutputSize;
        if (size is not var (height, width) || height != width)
            throw new NotSupportedException($"{config.Source}: the processor's output is {(size is { } s ? $"{s.Height} x {s.Width}" : "sized by each image")}; a tower takes one square size (set crop_size, or size.height = size.width)");
        return new ImagePreprocessor(new ImageProcessor(config), height);
    }

    /// <summary>
    /// The images as a [N, 3, Size, Size] float32 CPU tensor, channel planes R, G, B, normalised, written
    /// in place: a batch is megabytes (16 SigLIP-384 images are 28 MB), and a fresh managed array per
    /// batch, copied again into a tensor, cost a tenth of the preprocessing in page faults and copies.
    /// </summary>
    public unsafe Tensor Pixels(IReadOnlyList<string> paths)
    {
        int image = 3 * Size * Size;
        // Every value is written below, so the batch is not zeroed first.
        var result = empty([paths.Count, 3, Size, Size], float32);
        try
        {
            float* values = (float*)NativeTensorMemory.DataPointer(result);
            for (int n = 0; n < paths.Count; n++) _processor.WriteFile(paths[n], new Span<float>(values + (long)n * image, image));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>One encoded image (PNG, JPEG, ...) held in memory, as a [1, 3, Size, Size] CPU tensor; <paramref name="name"/> goes into errors.</summary>
    public Tensor Pixels(byte[] encoded, string name)
    {
        var result = new float[3 * Size * Size];
        _processor.WriteEncoded(encoded, name, result);
        return tensor(result, [1, 3, Size, Size]);
    }
}
