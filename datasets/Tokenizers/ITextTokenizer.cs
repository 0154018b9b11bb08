namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// A tokenizer as the pipeline uses it: text to ids and back, with special-token strings in the
/// text mapped to their ids. Encoding adds no BOS/EOS.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Ids of <paramref name="text"/>; special-token strings (e.g. <c>&lt;|im_end|&gt;</c>) become their ids.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>
    /// Ids of <paramref name="text"/>. Without <paramref name="parseSpecialTokens"/> a special-token
    /// string in the text is encoded as the ordinary text it is (Hugging Face's
    /// <c>split_special_tokens=True</c>): what a user types cannot become a control token. Encoding
    /// stops once more than <paramref name="maxTokens"/> ids are made; the result is then a prefix of
    /// the whole text's ids longer than <paramref name="maxTokens"/>, and the rest is never tokenized.
    /// </summary>
    IReadOnlyList<int> Encode(string text, bool parseSpecialTokens, int maxTokens = int.MaxValue);

    /// <summary>Text of <paramref name="ids"/>, special tokens included; invalid UTF-8 byte runs become U+FFFD.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The id of a special token, or null when this tokenizer has no such token.</summary>
    int? SpecialTokenId(string token);

    /// <summary>Ordinary tokens plus special tokens: one more than the largest id.</summary>
    int VocabularySize { get; }

    /// <summary>SHA-256 over the files the tokenizer was loaded from: pins ETL outputs to a tokenizer.</summary>
    string Fingerprint { get; }

    /// <summary>Which tokenizer it is: <c>qwen</c> (Qwen-7B's qwen.tiktoken), <c>qwen2</c>, <c>llama3</c> (byte-level tokenizer.json) or <c>llama2</c> (SentencePiece-style tokenizer.json).</summary>
    string Kind { get; }
}

/// <summary>Loads the tokenizer of a model folder, whichever kind it is.</summary>
public static class TextTokenizer
{
    /// <summary>A folder with <c>qwen.tiktoken</c> or <c>tokenizer.json</c> (and optionally <c>tokenizer_config.json</c>).</summary>
    public static ITextTokenizer Load(string folder) => TokenizerFolder.Load(folder);
}
