using Vlm.Datasets.Images;
using Vlm.Datasets.Sources;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms.Conversations;

namespace Vlm.Transforms.Processing;

/// <summary>
/// The one place that turns (image, conversation) into a model's inputs, as Hugging Face's
/// <c>LlavaProcessor</c> does: the conversation in its chat template with every <c>&lt;image&gt;</c>
/// expanded to the tower's feature count (<see cref="ConversationEncoder"/>: ids, labels, prompts,
/// stop ids), and the image through the tower's image processor (<see cref="ImageProcessor"/>) into
/// normalised R, G, B planes of one square size. The ETL tokenizes through it (its shards keep image
/// references, so its processor may have no image half); training decodes the shards' images through
/// it; prediction, chat and serve do both. Both halves are data: a chat template and a
/// <c>preprocessor_config.json</c>.
/// </summary>
public sealed class VlmProcessor
{
    readonly ConversationEncoder? _conversations;
    readonly ImageProcessor? _images;

    /// <param name="conversations">the text half, or null for a processor of images alone (caching a tower's features)</param>
    /// <param name="images">the image half (it must make square images of one size), or null for text alone (the ETL)</param>
    public VlmProcessor(ConversationEncoder? conversations, ImageProcessorConfig? images)
    {
        if (conversations is null && images is null) throw new ArgumentException("a processor needs a conversation encoder, an image processor or both");
        _conversations = conversations;
        if (images is null) return;
        if (images.FixedOutputSize is not var (height, width) || height != width)
            throw new NotSupportedException($"{images.Source}: the processor's output is {(images.FixedOutputSize is { } s ? $"{s.Height} x {s.Width}" : "sized by each image")}; a tower takes one square size (set crop_size, or size.height = size.width)");
        _images = new ImageProcessor(images);
        ImageSize = height;
    }

    /// <summary>A processor of images alone (caching a tower's features, benchmarks).</summary>
    public static VlmProcessor ForImages(ImageProcessorConfig images) => new(null, images);

    /// <summary>A processor of <paramref name="tokenizer"/>'s text in <paramref name="template"/> and, when given, of images.</summary>
    public VlmProcessor(ITextTokenizer tokenizer, ChatTemplateOptions template, ImageProcessorConfig? images = null)
        : this(new ConversationEncoder(tokenizer, template), images)
    {
    }

    /// <summary>The text half: chat template, tokenizer, image-token expansion.</summary>
    public ConversationEncoder Conversations => _conversations ?? throw new InvalidOperationException("this processor has no text half (it was made for images alone)");

    /// <summary>The image half's settings.</summary>
    public ImageProcessorConfig Images => Pixels.Config;

    public bool HasImages => _images is not null;

    /// <summary>The height and width of every processed image; 0 without an image half.</summary>
    public int ImageSize { get; }

    /// <summary>The values of one processed image: 3 x <see cref="ImageSize"/> x <see cref="ImageSize"/>.</summary>
    public int ValuesPerImage => 3 * ImageSize * ImageSize;

    public ITextTokenizer Tokenizer => Conversations.Tokenizer;
    public int ImageTokenId => Conversations.ImageTokenId;

    /// <summary>A training example: ids with every image expanded, labels only on the answers.</summary>
    public EncodedConversation Encode(ConversationRecord record, int maxTokens = int.MaxValue) => Conversations.Encode(record, maxTokens);

    /// <summary>The ids of a prompt that ends where the model's answer begins.</summary>
    public int[] EncodePrompt(ConversationRecord record) => Conversations.EncodePrompt(record);

    /// <summary>An image file's values into <paramref name="target"/> (<see cref="ValuesPerImage"/> long).</summary>
    public void WritePixels(string path, Span<float> target) => Pixels.WriteFile(path, target);

    /// <summary>An encoded image held in memory (PNG, JPEG, ...) into <paramref name="target"/>; <paramref name="name"/> goes into errors.</summary>
    public void WritePixels(byte[] encoded, string name, Span<float> target) => Pixels.WriteEncoded(encoded, name, target);

    /// <summary>
    /// This processor for text a user types: text that spells a special token (<c>&lt;|im_start|&gt;system</c>)
    /// stays text instead of becoming the control token. Training data is parsed as written.
    /// </summary>
    public VlmProcessor ForUserText() => Conversations.Template.SplitSpecialTokens ? this
        : new VlmProcessor(new ConversationEncoder(Tokenizer, Conversations.Template with { SplitSpecialTokens = true }), _images?.Config);

    ImageProcessor Pixels => _images ?? throw new InvalidOperationException("this processor has no image half (it was made for text alone)");
}
