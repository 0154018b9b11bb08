using System.Text;
using Vlm.Datasets.Sources;
using Vlm.Datasets.Tokenizers;

namespace Vlm.Transforms.Conversations;

/// <summary>
/// Renders a conversation in its <see cref="ChatTemplate"/> and tokenizes it piece by piece, so that
/// every label boundary falls exactly between an answer and the prompt around it (the original also
/// tokenizes prompt and answer apart and concatenates them); the ids equal the whole rendered text's.
/// Each <c>&lt;image&gt;</c> tag becomes <see cref="ChatTemplateOptions.ImageTokenCount"/> image-token
/// ids in place: shards hold the expanded ids, as Hugging Face's LLaVA processor does, so lengths are
/// real and the model finds the image positions by id.
/// </summary>
public sealed class ConversationEncoder
{
    readonly ITextTokenizer _tokenizer;
    readonly ChatTemplateOptions _options;
    readonly ChatTemplate _template;
    readonly int _imageToken, _answerEnd, _finalAnswerEnd;
    readonly int[] _imageIds; // one image's placeholder ids
    readonly string _imageBefore, _imageAfter;
    readonly HashSet<int> _specialIds;
    // A template's few texts ("<|im_start|>user\n", ...) are encoded once, not once per turn of every record.
    readonly System.Collections.Concurrent.ConcurrentDictionary<string, int[]> _templateIds = new(StringComparer.Ordinal);

    public ConversationEncoder(ITextTokenizer tokenizer, ChatTemplateOptions options)
    {
        if (options.ImageTokenCount < 1) throw new ArgumentOutOfRangeException(nameof(options), "ImageTokenCount must be at least 1");
        _tokenizer = tokenizer;
        _options = options = options.For(tokenizer);
        _template = ChatTemplate.Of(options.Format);
        _imageToken = Special(_template.ImageToken);
        _imageIds = [.. Enumerable.Repeat(_imageToken, options.ImageTokenCount)];
        _answerEnd = Special(_template.AnswerEnd);
        _finalAnswerEnd = _template.FinalAnswerEnd is { } final ? Special(final) : _answerEnd;
        int at = _template.ImageText.IndexOf(ChatTemplate.ImagePlaceholder, StringComparison.Ordinal);
        if (at < 0) throw new ArgumentException($"the {_template.Name} template's image text has no {ChatTemplate.ImagePlaceholder}");
        (_imageBefore, _imageAfter) = (_template.ImageText[..at], _template.ImageText[(at + ChatTemplate.ImagePlaceholder.Length)..]);
        StopTokenIds = [.. _template.StopTokens.Select(Special)];
        _specialIds = [_imageToken, _answerEnd, _finalAnswerEnd, .. StopTokenIds];
    }

    /// <summary>The options in effect, the chat format resolved from the tokenizer when it was <see cref="ChatFormat.Auto"/>.</summary>
    public ChatTemplateOptions Template => _options;

    /// <summary>The id the model replaces with image features.</summary>
    public int ImageTokenId => _imageToken;

    public ITextTokenizer Tokenizer => _tokenizer;

    int Special(string token) => _tokenizer.SpecialTokenId(token)
        ?? throw new ArgumentException($"the tokenizer has no {token} token, which the {_template.Name} chat format needs");

    /// <summary>The ids that end an answer: generation stops at any of them.</summary>
    public IReadOnlyList<int> StopTokenIds { get; }

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
    /// user's) followed by the assistant prefix, so the next token is the answer's first.
    /// </summary>
    public int[] EncodePrompt(ConversationRecord record)
    {
        if (record.Turns.Count == 0 || record.Turns[^1].Speaker != Speaker.Human)
            throw new ArgumentException("a prompt's last turn must be the user's", nameof(record));
        var pieces = Render(record.Turns);
        pieces.Template(_template.AssistantPrefix, trained: false);
        pieces.Flush();
        return [.. pieces.Ids];
    }

    Pieces Render(IReadOnlyList<Turn> turns, int maxTokens = int.MaxValue)
    {
        var pieces = new Pieces(this, maxTokens);
        pieces.Template(_template.Begin, trained: false);
        if (!string.IsNullOrEmpty(_options.SystemPrompt))
            Prompt(pieces, _template.SystemPrefix, _options.SystemPrompt, _template.SystemSuffix);
        for (int i = 0; i < turns.Count && !pieces.Full; i++)
        {
            var turn = turns[i];
            if (turn.Speaker == Speaker.Human)
            {
                Prompt(pieces, _template.UserPrefix, turn.Text, _template.UserSuffix);
                continue;
            }
            bool last = i == turns.Count - 1;
            pieces.Template(_template.AssistantPrefix, trained: false);
            pieces.Text(_template.AnswerPrefix + turn.Text, trained: true);
            pieces.Special(last ? _finalAnswerEnd : _answerEnd, last && _template.FinalAnswerEnd is { } final ? final : _template.AnswerEnd, trained: true);
            if (!last || _template.SeparatorAfterFinalAnswer) pieces.Template(_template.AnswerSeparator, trained: false);
        }
        pieces.ImageCount = turns.Where(t => t.Speaker == Speaker.Human).Sum(t => Count(t.Text, ConversationRecord.ImageTag))
            + (string.IsNullOrEmpty(_options.SystemPrompt) ? 0 : Count(_options.SystemPrompt, ConversationRecord.ImageTag));
        return pieces;
    }

    EncodedConversation Encode(IReadOnlyList<Turn> turns, int maxTokens) => Render(turns, maxTokens).Result(_options.ImageTokenCount);

    /// <summary>Whether <paramref name="id"/> is a special token (after one, SentencePiece-style text starts a new segment).</summary>
    bool IsSpecial(int id) => _specialIds.Contains(id) || _tokenizer.SpecialTokenId(_tokenizer.Decode([id])) == id;

    void Prompt(Pieces pieces, string prefix, string content, string suffix)
    {
        pieces.Template(prefix, trained: false);
        var parts = content.Split(ConversationRecord.ImageTag);
        for (int p = 0; p < parts.Length && !pieces.Full; p++)
        {
            if (p > 0)
            {
                pieces.Template(_imageBefore, trained: false);
                pieces.Image(_imageIds, _template.ImageToken);
                pieces.Template(_imageAfter, trained: false);
            }
            pieces.Text(parts[p], trained: false);
        }
        pieces.Template(suffix, trained: false);
    }

    static int Count(string text, string tag)
    {
        int count = 0;
        for (int at = text.IndexOf(tag, StringComparison.Ordinal); at >= 0; at = text.IndexOf(tag, at + tag.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    /// <summary>
    /// The ids, labels and text as they grow. For SentencePiece-style tokenizers (<see cref="IContinuingTokenizer"/>)
    /// untrained text is held until a trained piece, an image or a special token ends it, then split at
    /// special tokens and encoded in whole runs, as the whole text would be; a piece that continues
    /// text (an answer after "ASSISTANT:") is encoded as a continuation.
    /// </summary>
    sealed class Pieces(ConversationEncoder encoder, int maxTokens)
    {
        public readonly List<int> Ids = [], Labels = [];
        readonly StringBuilder _text = new();
        List<(string Text, bool Parse)>? _held; // only SentencePiece-style tokenizers hold text
        readonly IContinuingTokenizer? _continuing = encoder._tokenizer as IContinuingTokenizer;
        bool _afterText;

        public int ImageCount { get; set; }

        /// <summary>Past the limit: the caller stops adding turns.</summary>
        public bool Full => Ids.Count > maxTokens;

        int Limit => maxTokens == int.MaxValue ? int.MaxValue : Math.Max(0, maxTokens - Ids.Count);

        /// <summary>Template text (special tokens parsed).</summary>
        public void Template(string text, bool trained) => Add(text, parseSpecialTokens: true, trained, template: true);

        /// <summary>A turn's text, with or without special-token parsing as configured.</summary>
        public void Text(string text, bool trained) => Add(text, parseSpecialTokens: !encoder._options.SplitSpecialTokens, trained, template: false);

        public void Special(int id, string text, bool trained)
        {
            Flush();
            Append([id], text, trained, endsInText: false);
        }

        public void Image(int[] ids, string text)
        {
            Flush();
            Append(ids, text, trained: false, endsInText: false);
        }

        void Add(string text, bool parseSpecialTokens, bool trained, bool template)
        {
            if (text.Length == 0 || Full) return;
            if (_continuing is null)
            {
                // Byte-level tokenizers: a piece's ids do not depend on what came before it.
                var ids = template ? encoder._templateIds.GetOrAdd(text, static (t, tokenizer) => [.. tokenizer.Encode(t, parseSpecialTokens: true)], encoder._tokenizer)
                    : encoder._tokenizer.Encode(text, parseSpecialTokens, Limit);
                Append(ids, text, trained, endsInText: false);
                return;
            }
            if (!trained)
            {
                (_held ??= []).Add((text, parseSpecialTokens));
                return;
            }
            Flush();
            var continued = _afterText ? _continuing.EncodeContinuation(text, parseSpecialTokens, Limit) : encoder._tokenizer.Encode(text, parseSpecialTokens, Limit);
            Append(continued, text, trained, endsInText: continued.Count == 0 ? _afterText : !encoder.IsSpecial(continued[^1]));
        }

        /// <summary>Encodes the held untrained text: plain runs between special tokens, each whole.</summary>
        public void Flush()
        {
            if (_held is not { Count: > 0 }) return;
            var run = new StringBuilder();
            foreach (var (text, parse) in _held)
            {
                if (!parse)
                {
                    run.Append(text);
                    continue;
                }
                foreach (var (start, length, id) in _continuing!.SplitSpecialTokens(text))
                {
                    if (id is not { } special)
                    {
                        run.Append(text, start, length);
                        continue;
                    }
                    EncodeRun(run);
                    Append([special], text.Substring(start, length), trained: false, endsInText: false);
                }
            }
            EncodeRun(run);
            _held.Clear();
        }

        void EncodeRun(StringBuilder run)
        {
            if (run.Length == 0 || Full) return;
            string text = run.ToString();
            run.Clear();
            var ids = _afterText ? _continuing!.EncodeContinuation(text, parseSpecialTokens: false, Limit) : encoder._tokenizer.Encode(text, parseSpecialTokens: false, Limit);
            Append(ids, text, trained: false, endsInText: true);
        }

        void Append(IReadOnlyList<int> ids, string text, bool trained, bool endsInText)
        {
            Ids.AddRange(ids);
            if (trained) Labels.AddRange(ids);
            else Labels.AddRange(Enumerable.Repeat(EncodedConversation.IgnoreIndex, ids.Count));
            _text.Append(text);
            _afterText = endsInText;
        }

        public EncodedConversation Result(int imageTokenCount)
        {
            Flush();
            if (Full)
            {
                // Stopped early: the ids up to the append that crossed the limit are the whole conversation's;
                // the template tokens after a cut text are not, so one past the limit is kept.
                Ids.RemoveRange(maxTokens + 1, Ids.Count - maxTokens - 1);
                Labels.RemoveRange(maxTokens + 1, Labels.Count - maxTokens - 1);
            }
            return new EncodedConversation(_text.ToString(), [.. Ids], [.. Labels], ImageCount, ImageCount * imageTokenCount);
        }
    }
}
