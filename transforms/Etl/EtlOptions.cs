using System.Text.Json.Serialization;
using Vlm.Datasets.Images;
using Vlm.Transforms.Conversations;

namespace Vlm.Transforms.Etl;

/// <summary>The annotation formats the ETL reads.</summary>
public enum SourceFormat { Llava, Jsonl, AiChallenger, Coco }

/// <summary>One annotation file and the folder its image paths are relative to.</summary>
public sealed record EtlSource(SourceFormat Format, string Annotations, string Images)
{
    /// <summary>The name rows carry in their <c>source</c> column ("llava:detail_23k.json").</summary>
    public string Name => $"{Format.ToString().ToLowerInvariant()}:{Path.GetFileName(Annotations)}";
}

/// <summary>What to do with a row whose id an earlier row already has: keep it and count it (warn), or reject it.</summary>
public enum DuplicateIds { Warn, Reject }

/// <summary>What to do with a conversation longer than <see cref="EtlOptions.MaxLength"/>.</summary>
public enum LengthPolicy { Drop, Truncate }

/// <summary>Everything an ETL run depends on; recorded whole in the manifest.</summary>
public sealed record EtlOptions
{
    public required IReadOnlyList<EtlSource> Sources { get; init; }
    public required string Output { get; init; }
    public ChatTemplateOptions Template { get; init; } = new();
    /// <summary>Seeds the caption policy (AI Challenger and COCO prompts and captions).</summary>
    public int Seed { get; init; } = 42;
    public int MaxLength { get; init; } = 2048;
    public LengthPolicy LengthPolicy { get; init; } = LengthPolicy.Drop;
    /// <summary>Input records per shard (rejects included), so a shard's content depends on its input range alone.</summary>
    public int RecordsPerShard { get; init; } = 2048;
    /// <summary>For job arrays: this process writes the shards whose number % <see cref="ShardCount"/> == <see cref="ShardIndex"/>.</summary>
    public int ShardCount { get; init; } = 1;
    public int ShardIndex { get; init; }
    /// <summary>Rows repeating an earlier row's id (in record order): counted in the manifest either way; rejected with <see cref="DuplicateIds.Reject"/>.</summary>
    public DuplicateIds DuplicateIds { get; init; } = DuplicateIds.Warn;
    /// <summary>Images over this many pixels (by their header) are rejected before decoding.</summary>
    public long MaxImagePixels { get; init; } = ImageDecoder.DefaultMaxPixels;
    /// <summary>
    /// Keep the records before a break in an annotation file's framing (a truncated file) and mark the
    /// run complete; without it such a file fails the run, since the dataset is not all there.
    /// </summary>
    public bool AllowPartial { get; init; }
    /// <summary>Replace output made from other inputs (see <see cref="EtlInputs"/>) instead of refusing to run. An action, not an input: not recorded.</summary>
    [JsonIgnore] public bool Overwrite { get; init; }

    public void Validate()
    {
        if (Sources.Count == 0) throw new ArgumentException("no sources to read");
        foreach (var s in Sources)
        {
            if (!File.Exists(s.Annotations)) throw new FileNotFoundException($"{s.Annotations}: no such annotation file");
            if (!Directory.Exists(s.Images)) throw new DirectoryNotFoundException($"{s.Images}: no such image folder");
        }
        if (MaxLength < 1) throw new ArgumentException("max_length must be positive");
        if (MaxImagePixels < 1) throw new ArgumentException("max_image_pixels must be positive");
        if (RecordsPerShard < 1) throw new ArgumentException("records per shard must be positive");
        if (ShardCount < 1 || ShardIndex < 0 || ShardIndex >= ShardCount)
            throw new ArgumentException($"shard index {ShardIndex} is not in 0..{ShardCount - 1}");
        if (DuplicateIds == DuplicateIds.Reject && ShardCount > 1)
            throw new ArgumentException("duplicate_ids reject needs one process: the processes of a job array cannot see each other's ids");
    }
}
