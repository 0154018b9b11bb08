using Vlm.Datasets.Sources;
using Vlm.Transforms.Conversations;

namespace Vlm.Transforms.Etl;

/// <summary>A source's records, in order, as conversations (captions through the caption policy).</summary>
internal static class EtlRecords
{
    public static IEnumerable<SourceItem<ConversationRecord>> Read(EtlSource source, int seed, bool allowPartial)
    {
        var items = source.Format switch
        {
            SourceFormat.Llava => LlavaJsonSource.Read(source.Annotations),
            SourceFormat.Jsonl => LlavaJsonlSource.Read(source.Annotations),
            SourceFormat.AiChallenger => Captions(AiChallengerSource.Read(source.Annotations), new CaptionPolicy { Seed = seed }),
            SourceFormat.Coco => Captions(CocoCaptionsSource.Read(source.Annotations), new CaptionPolicy { Seed = seed, Prompts = CaptionPolicy.EnglishPrompts }),
            _ => throw new ArgumentOutOfRangeException(nameof(source), source.Format, "unknown source format"),
        };
        return UntilBroken(source.Annotations, items, allowPartial);
    }

    /// <summary>The number of records <see cref="Read"/> will yield, or null when the file's framing is broken.</summary>
    public static long? Count(EtlSource source)
    {
        try
        {
            return source.Format switch
            {
                SourceFormat.Llava => LlavaJsonSource.Count(source.Annotations),
                SourceFormat.Jsonl => LlavaJsonlSource.Count(source.Annotations),
                SourceFormat.AiChallenger => AiChallengerSource.Count(source.Annotations),
                SourceFormat.Coco => CocoCaptionsSource.Count(source.Annotations),
                _ => null,
            };
        }
        catch (InvalidDataException)
        {
            return null;
        }
    }

    // A break in a file's JSON framing (a truncated download, garbage between records) means the dataset
    // is not all there: the read fails, naming the file and byte. Allowed partial, the break ends that
    // file as one more reject (with the byte position); the records before it stand and the next source goes on.
    static IEnumerable<SourceItem<ConversationRecord>> UntilBroken(string file, IEnumerable<SourceItem<ConversationRecord>> items, bool allowPartial)
    {
        using var e = items.GetEnumerator();
        long next = 0;
        while (true)
        {
            string? broken = null;
            try
            {
                if (!e.MoveNext()) yield break;
            }
            catch (InvalidDataException error) when (allowPartial)
            {
                broken = $"malformed JSON: {error.Message}";
            }
            catch (InvalidDataException error)
            {
                throw new InvalidDataException($"{error.Message} (record {next}); the file is incomplete, so nothing past it is marked complete (--allow_partial keeps the records before the break)", error);
            }
            if (broken is not null)
            {
                yield return SourceItem.Rejected<ConversationRecord>(file, next, null, broken);
                yield break;
            }
            next = e.Current.Index + 1;
            yield return e.Current;
        }
    }

    static IEnumerable<SourceItem<ConversationRecord>> Captions(IEnumerable<SourceItem<CaptionRecord>> items, CaptionPolicy policy)
    {
        foreach (var item in items)
            yield return item.Record is { } record
                ? SourceItem.Accepted(item.File, item.Index, policy.ToConversation(record))
                : SourceItem.Rejected<ConversationRecord>(item.File, item.Index, item.Id, item.RejectReason!);
    }
}
