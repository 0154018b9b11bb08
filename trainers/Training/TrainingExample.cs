namespace Vlm.Trainers.Training;

/// <summary>One shard row as the trainer needs it: ids, labels, and the image path relative to the image root (null: text only).</summary>
internal sealed record TrainingExample(int[] InputIds, int[] Labels, string? Image);
