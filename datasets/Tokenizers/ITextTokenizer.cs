namespace Vlm.Datasets.Tokenizers;

/// <summary>
/// A tokenizer as the pipeline uses it: text to ids and back, with special-token strings in the
/// text mapped to their ids. Encoding adds no BOS/EOS.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>Ids of <paramref name="text"/>; special-token strings (e.g. <c>&lt;|im_end|&gt;</c>) become their ids.</summary>
    IReadOnlyList<int> Encode(string text);

    /// <summary>Text of <paramref name="ids"/>, special tokens included; invalid UTF-8 byte runs become U+FFFD.</summary>
    string Decode(IEnumerable<int> ids);

    /// <summary>The id of a special token, or null when this tokenizer has no such token.</summary>
    int? SpecialTokenId(string token);

    /// <summary>Ordinary tokens plus special tokens: one more than the largest id.</summary>
    int VocabularySize { get; }

    /// <summary>SHA-256 over the files the tokenizer was loaded from: pins ETL outputs to a tokenizer.</summary>
    string Fingerprint { get; }
}
