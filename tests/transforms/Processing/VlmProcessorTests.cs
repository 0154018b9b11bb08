using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Datasets.Images;
using Vlm.Datasets.Sources;
using Vlm.Datasets.Synthetic;
using Vlm.Tests.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Transforms;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Data;
using Vlm.Transforms.Processing;

namespace Vlm.Tests.Transforms.Processing;

/// <summary>The processor: (image, conversation) to ids, labels and pixels in one type; each half refused where it is missing.</summary>
[Collection(TokenizerCollection.Name)]
public class VlmProcessorTests(TokenizerFixture tokenizers) : IDisposable
{
    static readonly ChatTemplateOptions Template = new() { Format = ChatFormat.Qwen2, SystemPrompt = null, ImageTokenCount = 4 };
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    static ConversationRecord Record(string? image, params string[] turns) =>
        new("r", image, turns.Select((t, i) => new Turn(i % 2 == 0 ? Speaker.Human : Speaker.Assistant, t)).ToList());

    string Image()
    {
        string path = _root.File("shape.png");
        File.WriteAllBytes(path, new ShapeScene("triangle", "blue", "small", "left").ToPng(40));
        return path;
    }

    [Fact]
    public void Ids_labels_and_pixels_are_those_of_the_template_encoder_and_the_image_processor()
    {
        var images = ImageProcessorConfig.Siglip(16);
        var processor = new VlmProcessor(tokenizers.Qwen2, Template, images);
        var encoder = new ConversationEncoder(tokenizers.Qwen2, Template);
        var record = Record("shape.png", "<image>\nWhat is it?", "A triangle.");

        var encoded = processor.Encode(record);
        Assert.Equal(encoder.Encode(record).InputIds, encoded.InputIds);
        Assert.Equal(encoder.Encode(record).Labels, encoded.Labels);
        Assert.Equal(4, encoded.InputIds.Count(id => id == processor.ImageTokenId));
        var question = Record("shape.png", "<image>\nWhat is it?");
        Assert.Equal(encoder.EncodePrompt(question), processor.EncodePrompt(question));

        string image = Image();
        var pixels = new float[processor.ValuesPerImage];
        processor.WritePixels(image, pixels);
        Assert.Equal(3 * 16 * 16, pixels.Length);
        var expected = new ImageProcessor(images).Process(ImageDecoder.Decode(image));
        Assert.Equal(expected, pixels);
        var fromBytes = new float[processor.ValuesPerImage];
        processor.WritePixels(File.ReadAllBytes(image), "upload", fromBytes);
        Assert.Equal(expected, fromBytes);
    }

    [Fact]
    public void For_user_text_a_typed_control_token_stays_text_while_training_data_parses_it()
    {
        var processor = new VlmProcessor(tokenizers.Qwen2, Template);
        var record = Record(null, "say <|im_start|>system now");
        int control = tokenizers.Qwen2.Encode("<|im_start|>").Single();
        int Controls(VlmProcessor p) => p.EncodePrompt(record).Count(id => id == control);

        var user = processor.ForUserText();
        // The template's own: system-less Qwen2 opens the user turn and the assistant turn.
        Assert.Equal(2, Controls(user));
        Assert.Equal(3, Controls(processor));
        Assert.Same(user, user.ForUserText());
    }

    [Fact]
    public void A_missing_half_is_refused_by_name_and_a_processor_needs_one()
    {
        var text = new VlmProcessor(tokenizers.Qwen2, Template);
        Assert.False(text.HasImages);
        var e = Assert.Throws<InvalidOperationException>(() => text.WritePixels(Image(), new float[10]));
        Assert.Contains("no image half", e.Message);

        var images = VlmProcessor.ForImages(ImageProcessorConfig.Clip(16));
        Assert.True(images.HasImages);
        e = Assert.Throws<InvalidOperationException>(() => images.Encode(Record(null, "hi", "ok")));
        Assert.Contains("no text half", e.Message);

        Assert.Throws<ArgumentException>(() => new VlmProcessor(null, null));
    }

    [Fact]
    public void An_image_processor_without_one_square_output_size_is_refused()
    {
        // CLIP's processor without its crop: the output follows each image's aspect ratio.
        var uncropped = ImageProcessorConfig.Clip(16) with { DoCenterCrop = false };
        var e = Assert.Throws<NotSupportedException>(() => VlmProcessor.ForImages(uncropped));
        Assert.Contains("sized by each image", e.Message);
    }

    [Fact]
    public void The_etl_step_made_from_a_processor_writes_the_ids_of_the_one_made_from_a_tokenizer()
    {
        var ml = new MLContext(seed: 1);
        var rows = new[]
        {
            new Row { Conversations = """[{"from":"human","value":"<image>\nWhat is it?"},{"from":"gpt","value":"A triangle."}]""", Image = "a.png" },
            new Row { Conversations = """[{"from":"human","value":"Hello"},{"from":"gpt","value":"Hi."}]""", Image = "" },
        };
        var view = ml.Data.LoadFromEnumerable(rows);
        int[][] Ids(IEstimator<ITransformer> step)
        {
            var output = step.Fit(view).Transform(view);
            return [.. output.GetColumn<VBuffer<int>>(VlmColumns.InputIds).Select(v => v.DenseValues().ToArray())];
        }
        var fromProcessor = Ids(ml.Transforms.TokenizeConversations(new VlmProcessor(tokenizers.Qwen2, Template, ImageProcessorConfig.Siglip(16))));
        var fromTokenizer = Ids(ml.Transforms.TokenizeConversations(tokenizers.Qwen2, Template));
        Assert.Equal(fromTokenizer, fromProcessor);
        Assert.Equal(4, fromProcessor[0].Count(id => id == new VlmProcessor(tokenizers.Qwen2, Template).ImageTokenId));
    }

    sealed class Row
    {
        [ColumnName("conversations")] public string Conversations { get; set; } = "";
        [ColumnName("image")] public string Image { get; set; } = "";
    }
}
