namespace Vlm.Trainers.Training;

/// <summary>
/// One shard row as the trainer needs it: ids, labels, the image path relative to the image root
/// (null: text only) and the image's SHA-256 when the shards have it (the key of cached vision features).
/// </summary>
internal sealed record TrainingExample(int[] InputIds, int[] Labels, string? Image, string? ImageSha256 = null);
