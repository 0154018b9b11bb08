namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// A tokenizer whose ids for a text depend on whether the text starts a segment: Llama 2's
/// SentencePiece-style normalizer puts <c>▁</c> before every piece of text between special tokens.
/// A text encoded in parts (a chat template's turns) gives the ids of the whole only when the parts
/// that continue text are encoded as continuations.
/// </summary>
public interface IContinuingTokenizer
{
    /// <summary>As <see cref="ITextTokenizer.Encode(string, bool, int)"/>, for text that continues other text (no segment start before its first character).</summary>
    IReadOnlyList<int> EncodeContinuation(string text, bool parseSpecialTokens, int maxTokens = int.MaxValue);

    /// <summary>The special-token strings in <paramref name="text"/> (Id set) and the plain text between them (Id null), in order.</summary>
    IReadOnlyList<(int Start, int Length, int? Id)> SplitSpecialTokens(string text);
}
