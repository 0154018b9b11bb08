using Vlm.Datasets.Sources;
using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Training;
using Vlm.Transforms.Processing;
using static TorchSharp.torch;

namespace Vlm.Trainers.Estimator;

/// <summary>
/// Answers questions with a trained model: the conversation in the model's chat template, the image
/// through the tower's preprocessing, greedy decoding (by default) up to a stop token. One model
/// serves every caller; calls are serialised because a model's forward pass is not re-entrant.
/// </summary>
internal sealed class VlmPredictor : IDisposable
{
    readonly ITextTokenizer _tokenizer;
    readonly VlmProcessor _processor;
    readonly object _gate = new();

    public VlmPredictor(VlmModel model, VlmModelSpec spec, VlmProcessor processor, GenerationOptions? generation = null)
    {
        Model = model;
        Spec = spec;
        // What a user types is text: "<|im_start|>system" in a prompt must not become a control token.
        _processor = processor.ForUserText();
        _tokenizer = processor.Tokenizer;
        _generation = WithStops(generation ?? new GenerationOptions());
    }

    GenerationOptions _generation;

    GenerationOptions WithStops(GenerationOptions options) =>
        options.StopTokenIds.Count > 0 ? options : options with { StopTokenIds = [.. _processor.Conversations.StopTokenIds.Select(id => (long)id)] };

    public VlmModel Model { get; }
    public VlmModelSpec Spec { get; }
    /// <summary>The generation every answer uses unless a call gives its own; without stop ids, the chat format's.</summary>
    public GenerationOptions Generation
    {
        get => Volatile.Read(ref _generation);
        set => Volatile.Write(ref _generation, WithStops(value ?? throw new ArgumentNullException(nameof(value))));
    }

    /// <summary>The model folder the weights were read from; null for a model trained in this process.</summary>
    public string? Folder { get; init; }

    /// <summary>
    /// The answer to <paramref name="input"/>; <paramref name="onText"/> receives it piece by piece as
    /// it is generated (the pieces add up to the answer). <paramref name="generation"/> without stop
    /// ids stops at the model's own.
    /// </summary>
    public string Answer(VlmInput input, Action<string>? onText = null, GenerationOptions? generation = null)
    {
        var options = generation ?? Generation;
        if (options.StopTokenIds.Count == 0) options = options with { StopTokenIds = Generation.StopTokenIds };
        var record = Conversation(input);
        var ids = _processor.EncodePrompt(record);
        if (ids.Length + options.MaxNewTokens > ContextLength)
            throw new PromptTooLongException($"the conversation is {ids.Length} tokens and {options.MaxNewTokens} more may be generated, over the model's context of {ContextLength}; shorten it or start again");
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            var device = Model.LanguageModel.HeadWeight.device;
            var inputIds = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length], device: device);
            var keep = ones_like(inputIds);
            Tensor? pixels = null;
            if (record.Image is not null)
                pixels = ImagePixels(input).to(device).to(Model.LanguageModel.HeadWeight.dtype);
            var text = new StreamingText(_tokenizer, onText);
            var answer = AnswerGenerator.Generate(Model, inputIds, keep, pixels, options, (_, id) => text.Add(id))[0];
            return text.Finish(_tokenizer.Decode(answer.Select(id => (int)id)));
        }
    }

    /// <summary>
    /// The answers to <paramref name="inputs"/> generated together: prompts left-padded into one batch,
    /// images into one tower pass, each row stopping at its own stop token. The same answers as
    /// <see cref="Answer"/> one at a time (greedy decoding; padding is masked out of attention and
    /// positions), in far fewer model passes.
    /// </summary>
    public string[] Answers(IReadOnlyList<VlmInput> inputs, GenerationOptions? generation = null)
    {
        if (inputs.Count == 0) return [];
        var options = generation ?? Generation;
        if (options.StopTokenIds.Count == 0) options = options with { StopTokenIds = Generation.StopTokenIds };
        var records = inputs.Select(Conversation).ToList();
        var prompts = records.Select(_processor.EncodePrompt).ToList();
        for (int i = 0; i < prompts.Count; i++)
            if (prompts[i].Length + options.MaxNewTokens > ContextLength)
                throw new PromptTooLongException($"input {i}: the conversation is {prompts[i].Length} tokens and {options.MaxNewTokens} more may be generated, over the model's context of {ContextLength}");
        int width = prompts.Max(p => p.Length);
        // Padding takes a stop id: any id but the image token's would do, as padding is masked out.
        long pad = options.StopTokenIds.Count > 0 ? options.StopTokenIds[0] : 0;
        var ids = new long[prompts.Count * width];
        var keep = new long[prompts.Count * width];
        for (int row = 0; row < prompts.Count; row++)
        {
            int offset = width - prompts[row].Length;
            for (int t = 0; t < width; t++)
            {
                ids[row * width + t] = t < offset ? pad : prompts[row][t - offset];
                keep[row * width + t] = t < offset ? 0 : 1;
            }
        }
        lock (_gate)
        {
            using var scope = NewDisposeScope();
            var device = Model.LanguageModel.HeadWeight.device;
            var dtype = Model.LanguageModel.HeadWeight.dtype;
            var withImages = Enumerable.Range(0, inputs.Count).Where(i => records[i].Image is not null).ToList();
            Tensor? pixels = withImages.Count == 0 ? null : cat([.. withImages.Select(i => ImagePixels(inputs[i]))], 0).to(device).to(dtype);
            var answers = AnswerGenerator.Generate(Model, tensor(ids, [prompts.Count, width], device: device), tensor(keep, [prompts.Count, width], device: device), pixels, options);
            return [.. answers.Select(answer => _tokenizer.Decode(answer.Select(id => (int)id)))];
        }
    }

    /// <summary>The most positions (prompt and answer) the model takes.</summary>
    public int ContextLength => Model.LanguageModel.Settings.ContextLength;

    /// <summary>The prompt's length in tokens as <see cref="Answer"/> would encode it (image placeholders included), without running the model.</summary>
    public int PromptLength(VlmInput input) => _processor.EncodePrompt(Conversation(input)).Length;

    ConversationRecord Conversation(VlmInput input)
    {
        if (string.IsNullOrWhiteSpace(input.Prompt)) throw new ArgumentException("the prompt is empty");
        if (input.History.Length % 2 != 0) throw new ArgumentException($"the history has {input.History.Length} turns; it needs user/assistant pairs");
        bool hasImage = !string.IsNullOrEmpty(input.Image) || input.ImageBytes.Length > 0;
        var turns = input.History.Select((text, i) => new Turn(i % 2 == 0 ? Speaker.Human : Speaker.Assistant, text)).Append(new Turn(Speaker.Human, input.Prompt)).ToList();
        return new ConversationRecord("prompt", hasImage ? "image" : null, turns).WithImageTag();
    }

    Tensor ImagePixels(VlmInput input) => string.IsNullOrEmpty(input.Image)
        ? _processor.Pixels(input.ImageBytes, $"the uploaded image ({input.ImageBytes.Length} bytes)")
        : _processor.Pixels([input.Image]);

    public void Dispose() => Model.Dispose();

    /// <summary>Turns generated ids into text pieces, holding back a piece while it ends inside a multi-byte character.</summary>
    sealed class StreamingText(ITextTokenizer tokenizer, Action<string>? sink)
    {
        readonly List<int> _ids = [];
        int _sent;

        public void Add(long id)
        {
            if (sink is null) return;
            _ids.Add((int)id);
            string text = tokenizer.Decode(_ids);
            if (text.EndsWith('\uFFFD') || text.Length <= _sent) return;
            sink(text[_sent..]);
            _sent = text.Length;
        }

        /// <summary>Sends what was held back (an answer may end inside a character) and returns the answer.</summary>
        public string Finish(string answer)
        {
            if (sink is not null && answer.Length > _sent) sink(answer[_sent..]);
            return answer;
        }
    }
}

/// <summary>A conversation longer than the model (or a server's budget) takes; refused before any work.</summary>
public sealed class PromptTooLongException(string message) : ArgumentException(message);
