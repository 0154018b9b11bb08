using System.Text;
using Vlm.Datasets.Sources;
using Vlm.Datasets.Tokenizers;

namespace Vlm.Transforms.Conversations;

/// <summary>
/// Renders a conversation in chatml and tokenizes it piece by piece, so that every label boundary
/// falls exactly between an answer and the prompt around it (the original also tokenizes prompt
/// and answer apart and concatenates them). Each <c>&lt;image&gt;</c> tag becomes
/// <see cref="ChatTemplateOptions.ImageTokenCount"/> image-token ids in place: shards hold the
/// expanded ids, as Hugging Face's LLaVA processor does, so lengths are real and the model finds the
/// image positions by id.
/// </summary>
public sealed class ConversationEncoder
{
    readonly ITextTokenizer _tokenizer;
    readonly ChatTemplateOptions _options;
    readonly int _imStart, _imEnd, _endOfText, _imageToken;
    readonly int? _visionStart, _visionEnd;
    readonly int[] _newline;
    readonly Dictionary<string, int[]> _headers; // "<|im_start|>{role}\n" per role, encoded once

    public ConversationEncoder(ITextTokenizer tokenizer, ChatTemplateOptions options)
    {
        if (options.ImageTokenCount < 1) throw new ArgumentOutOfRangeException(nameof(options), "ImageTokenCount must be at least 1");
        _tokenizer = tokenizer;
        _options = options = options.For(tokenizer);
        _imStart = Special(QwenSpecialTokens.ImStart);
        _imEnd = Special(QwenSpecialTokens.ImEnd);
        _endOfText = Special(QwenSpecialTokens.EndOfText);
        if (options.Format == ChatFormat.Qwen)
        {
            _imageToken = Special(QwenSpecialTokens.Extra(0));
        }
        else
        {
            _imageToken = Special("<|image_pad|>");
            _visionStart = Special("<|vision_start|>");
            _visionEnd = Special("<|vision_end|>");
        }
        _newline = [.. tokenizer.Encode("\n")];
        _headers = new[] { "system", "user", "assistant" }.ToDictionary(role => role, role => (int[])[_imStart, .. tokenizer.Encode(role + "\n")]);
    }

    /// <summary>The options in effect, the chat format resolved from the tokenizer when it was <see cref="ChatFormat.Auto"/>.</summary>
    public ChatTemplateOptions Template => _options;

    /// <summary>The id the model replaces with image features.</summary>
    public int ImageTokenId => _imageToken;

    int Special(string token) => _tokenizer.SpecialTokenId(token)
        ?? throw new ArgumentException($"the tokenizer has no {token} token, which the {_options.Format} chat format needs");

    /// <summary>The ids that end an answer (&lt;|im_end|&gt;, &lt;|endoftext|&gt;): generation stops at either.</summary>
    public IReadOnlyList<int> StopTokenIds => [_imEnd, _endOfText];

    /// <summary>
    /// The conversation's ids and labels. With <paramref name="maxTokens"/>, encoding stops once there are
    /// more ids than that (the ids and labels are then the whole conversation's first
    /// <paramref name="maxTokens"/> + 1): a 60 MB answer is not tokenized to be cut to 2,048 tokens. The
    /// image count is always the whole conversation's.
    /// </summary>
    public EncodedConversation Encode(ConversationRecord record, int maxTokens = int.MaxValue) =>
        Encode(_options.FirstTurnOnly ? [.. record.Turns.Take(2)] : record.Turns, maxTokens);

    /// <summary>
    /// The model's input for answering: every turn of <paramref name="record"/> (the last one the
    /// user's) followed by the assistant header, so the next token is the answer's first.
    /// </summary>
    public int[] EncodePrompt(ConversationRecord record)
    {
        if (record.Turns.Count == 0 || record.Turns[^1].Speaker != Speaker.Human)
            throw new ArgumentException("a prompt's last turn must be the user's", nameof(record));
        return [.. Encode(record.Turns).InputIds, .. _headers["assistant"]];
    }

    EncodedConversation Encode(IReadOnlyList<Turn> turns, int maxTokens = int.MaxValue)
    {
        var ids = new List<int>();
        var labels = new List<int>();
        var text = new StringBuilder();
        int images = turns.Where(t => t.Speaker == Speaker.Human).Sum(t => Count(t.Text, ConversationRecord.ImageTag))
            + (string.IsNullOrEmpty(_options.SystemPrompt) ? 0 : Count(_options.SystemPrompt, ConversationRecord.ImageTag));

        if (!string.IsNullOrEmpty(_options.SystemPrompt))
            Prompt(ids, labels, text, "system", _options.SystemPrompt, maxTokens);
        for (int i = 0; i < turns.Count && ids.Count <= maxTokens; i++)
        {
            var turn = turns[i];
            if (turn.Speaker == Speaker.Human)
            {
                Prompt(ids, labels, text, "user", turn.Text, maxTokens);
                continue;
            }
            // "<|im_start|>assistant\n" is prompt; the answer and its end token are trained.
            Untrained(ids, labels, text, _headers["assistant"], "<|im_start|>assistant\n");
            bool last = i == turns.Count - 1;
            var answer = Text(turn.Text, ids.Count, maxTokens);
            int end = _options.Format == ChatFormat.Qwen && last ? _endOfText : _imEnd;
            ids.AddRange(answer);
            labels.AddRange(answer);
            ids.Add(end);
            labels.Add(end);
            text.Append(turn.Text).Append(end == _imEnd ? QwenSpecialTokens.ImEnd : QwenSpecialTokens.EndOfText);
            if (!last || _options.Format == ChatFormat.Qwen2) Untrained(ids, labels, text, _newline, "\n");
        }
        if (ids.Count > maxTokens)
        {
            // Stopped early: the ids up to the append that crossed the limit are the whole conversation's;
            // the template tokens after a cut text are not, so one past the limit is kept.
            ids.RemoveRange(maxTokens + 1, ids.Count - maxTokens - 1);
            labels.RemoveRange(maxTokens + 1, labels.Count - maxTokens - 1);
        }
        return new EncodedConversation(text.ToString(), [.. ids], [.. labels], images, images * _options.ImageTokenCount);
    }

    void Prompt(List<int> ids, List<int> labels, StringBuilder text, string role, string content, int maxTokens)
    {
        Untrained(ids, labels, text, _headers[role], $"<|im_start|>{role}\n");
        var pieces = content.Split(ConversationRecord.ImageTag);
        for (int p = 0; p < pieces.Length && ids.Count <= maxTokens; p++)
        {
            if (p > 0)
            {
                var placeholder = new List<int>();
                if (_visionStart is { } vs) placeholder.Add(vs);
                placeholder.AddRange(Enumerable.Repeat(_imageToken, _options.ImageTokenCount));
                if (_visionEnd is { } ve) placeholder.Add(ve);
                Untrained(ids, labels, text, placeholder, _options.Format == ChatFormat.Qwen
                    ? QwenSpecialTokens.Extra(0)
                    : "<|vision_start|><|image_pad|><|vision_end|>");
            }
            if (pieces[p].Length > 0) Untrained(ids, labels, text, Text(pieces[p], ids.Count, maxTokens), pieces[p]);
        }
        Untrained(ids, labels, text, [_imEnd, .. _newline], "<|im_end|>\n");
    }

    /// <summary>A turn's text, with or without special-token parsing as configured, stopping once the conversation passes <paramref name="maxTokens"/>.</summary>
    IReadOnlyList<int> Text(string content, int sofar, int maxTokens) =>
        _tokenizer.Encode(content, parseSpecialTokens: !_options.SplitSpecialTokens, maxTokens == int.MaxValue ? int.MaxValue : Math.Max(0, maxTokens - sofar));

    static int Count(string text, string tag)
    {
        int count = 0;
        for (int at = text.IndexOf(tag, StringComparison.Ordinal); at >= 0; at = text.IndexOf(tag, at + tag.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    static void Untrained(List<int> ids, List<int> labels, StringBuilder text, IReadOnlyList<int> piece, string pieceText)
    {
        ids.AddRange(piece);
        labels.AddRange(Enumerable.Repeat(EncodedConversation.IgnoreIndex, piece.Count));
        text.Append(pieceText);
    }
}
