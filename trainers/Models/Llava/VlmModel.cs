using TorchSharp;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Modules;
using Vlm.Trainers.Models.Text;
using Vlm.Trainers.Models.Vision;
using static TorchSharp.torch;

namespace Vlm.Trainers.Models.Llava;

/// <summary>How image features are taken from the tower (LLaVA-1.5's defaults).</summary>
internal sealed record VisionFeatureOptions
{
    /// <summary>Hidden-state index in Hugging Face's numbering; -2 is the penultimate layer, as LLaVA-1.5; -1 the last, as the original.</summary>
    public int Layer { get; init; } = -2;

    /// <summary>Drop the first token: null means "the class token if the tower has one" (CLIP yes, SigLIP no).</summary>
    public bool? DropFirstToken { get; init; }

    /// <summary>Whether <paramref name="tower"/>'s first token is dropped under these options.</summary>
    public bool DropsFirstToken(VisionConfig tower) => DropFirstToken ?? tower.HasClassToken;

    /// <summary>Image features (image tokens) per image from <paramref name="tower"/> under these options.</summary>
    public int TokensPerImage(VisionConfig tower) => tower.NumPositions - (DropsFirstToken(tower) ? 1 : 0);
}

/// <summary>
/// The LLaVA-style model: vision tower -> projector -> features spliced into the input embeddings of
/// the LLM (any family) at the image-token positions. Module names are Hugging Face's
/// <c>LlavaForConditionalGeneration</c> layout (<c>vision_tower.*</c>, <c>multi_modal_projector.*</c>,
/// <c>language_model.*</c>), so the state dict saves and loads by plain name match.
/// </summary>
internal sealed class VlmModel : nn.Module<Tensor, Tensor>
{
    // Checkpoint names, fenced.
    readonly VisionTower vision_tower;
    readonly Projector multi_modal_projector;
    readonly CausalLanguageModel language_model;

    public VlmModel(VisionConfig vision, CausalLanguageModel languageModel, long imageTokenId, VisionFeatureOptions? features = null) : base(nameof(VlmModel))
    {
        vision_tower = new VisionTower(vision);
        multi_modal_projector = new Projector(vision.HiddenSize, languageModel.HiddenSize);
        language_model = languageModel;
        ImageTokenId = imageTokenId;
        Features = features ?? new VisionFeatureOptions();
        RegisterComponents();
    }

    public VisionTower VisionTower => vision_tower;
    public Projector Projector => multi_modal_projector;
    public CausalLanguageModel LanguageModel => language_model;
    public long ImageTokenId { get; }
    public VisionFeatureOptions Features { get; }

    /// <summary>When false (the default, as LLaVA), the tower runs without a graph: no activations kept, no gradients.</summary>
    public bool TrainVisionTower { get; set; }

    /// <summary>Image tokens each image takes in the prompt: the feature count the tower gives.</summary>
    /// <summary>
    /// A new model of this one's architecture (tower, projector and LLM configs, image token, feature
    /// selection) with freshly drawn weights, on the CPU in float32: what a copy starts from before
    /// this one's weights are copied into it.
    /// </summary>
    public VlmModel NewOfSameArchitecture() =>
        new(vision_tower.Config, CausalLanguageModel.Create(HfConfig.Parse(language_model.ConfigJson(), "the model's own config")), ImageTokenId, Features);

    public int ImageTokensPerImage => Features.TokensPerImage(vision_tower.Config);

    public bool DropsFirstToken => Features.DropsFirstToken(vision_tower.Config);

    public override Tensor forward(Tensor inputIds) => language_model.forward(inputIds);

    /// <summary>
    /// Projected features [N, F, D_text] of images [N, 3, H, W], or of the tower's selected features
    /// [N, F, D_vision] computed earlier (a frozen tower's, read from a feature cache).
    /// </summary>
    public Tensor ImageFeatures(Tensor images)
    {
        using var scope = NewDisposeScope();
        Tensor features;
        if (images.dim() == 3)
        {
            if (TrainVisionTower) throw new InvalidOperationException("cached tower features cannot train the tower; train it on images");
            if (images.shape[1] != ImageTokensPerImage || images.shape[2] != vision_tower.Config.HiddenSize)
                throw new ArgumentException($"cached tower features are [{images.shape[1]}, {images.shape[2]}] per image but this tower gives [{ImageTokensPerImage}, {vision_tower.Config.HiddenSize}]");
            features = images.to(multi_modal_projector.parameters().First().dtype);
        }
        else
            using (TrainVisionTower ? null : no_grad())
                features = vision_tower.Features(images, Features.Layer, DropsFirstToken);
        // Out at the language model's type (a float32 projector over a bf16 model, see VlmTrainer).
        return multi_modal_projector.forward(features).to(language_model.EmbedTokens.weight!.dtype).MoveToOuterDisposeScope();
    }

    /// <summary>Input embeddings [B, T, D] with image features in place of the image tokens.</summary>
    public Tensor Embed(Tensor inputIds, Tensor? pixels)
    {
        using var scope = NewDisposeScope();
        var embeddings = language_model.EmbedTokens.forward(inputIds);
        var features = pixels is null ? null : ImageFeatures(pixels);
        return ImageFeatureInjection.Inject(embeddings, inputIds, features, ImageTokenId).MoveToOuterDisposeScope();
    }

    /// <summary>Hidden states [B, T, D] of a batch; <paramref name="keep"/> [B, T] is 1 for tokens, 0 for padding.</summary>
    public Tensor Hidden(Tensor inputIds, Tensor keep, Tensor? pixels, KvCache? cache = null)
    {
        using var scope = NewDisposeScope();
        return language_model.Forward(Embed(inputIds, pixels), keep, cache).MoveToOuterDisposeScope();
    }

    /// <summary>Logits [B, T, V] at every position (for checks; training uses <see cref="Loss"/>).</summary>
    public Tensor Logits(Tensor inputIds, Tensor keep, Tensor? pixels) => language_model.Head(Hidden(inputIds, keep, pixels));

    /// <summary>
    /// Mean next-token cross-entropy over the positions whose label is set (not -100). The LM head
    /// runs only on those positions (with a 150k vocabulary it would otherwise dominate the cost), a
    /// chunk at a time.
    /// Returns the loss and the number of labelled tokens.
    /// </summary>
    public (Tensor Loss, long Tokens) Loss(Tensor inputIds, Tensor keep, Tensor labels, Tensor? pixels)
    {
        using var scope = NewDisposeScope();
        var hidden = Hidden(inputIds, keep, pixels); // [B, T, D]
        var targets = labels[.., 1..].reshape(-1); // the label of position t is predicted at t - 1
        using var ignored = (-100).ToScalar();
        var rows = targets.ne(ignored).nonzero().squeeze(1);
        long count = rows.shape[0];
        if (count == 0) throw new ArgumentException("the batch has no labelled token to train on");
        var selected = hidden[.., ..^1].reshape(-1, hidden.shape[2]).index_select(0, rows);
        var labelled = targets.index_select(0, rows);
        var loss = FusedLoss
            ? LinearCrossEntropy.Mean(selected, language_model.HeadWeight, labelled, LossChunkRows)
            : nn.functional.cross_entropy(language_model.Head(selected).to(float32), labelled);
        return (loss.MoveToOuterDisposeScope(), count);
    }

    /// <summary>
    /// When set (the default), the head and the loss run fused a chunk of rows at a time
    /// (<see cref="LinearCrossEntropy"/>): memory O(chunk x vocabulary) instead of O(tokens x vocabulary).
    /// Off only to compare with the plain path.
    /// </summary>
    internal bool FusedLoss { get; set; } = true;

    /// <summary>Labelled rows per chunk of the fused loss (256 rows of a 151,936-token vocabulary: 155 MB of logits).</summary>
    internal long LossChunkRows { get; set; } = 256;
}
