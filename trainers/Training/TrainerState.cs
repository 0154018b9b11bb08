namespace Vlm.Trainers.Training;

/// <summary>What a checkpoint records about the run besides weights: enough to resume exactly.</summary>
internal sealed record TrainerState
{
    public int Step { get; init; }
    public int TotalSteps { get; init; }
    public int Seed { get; init; }
    /// <summary>The processes the run trained with: a resume with another count would see other batches.</summary>
    public int WorldSize { get; init; } = 1;
    public List<LogEntry> Log { get; init; } = [];
    public List<EvalEntry> EvalLog { get; init; } = [];
}

/// <summary>One logging line: the mean loss since the last one, learning rates, gradient norm, speed.</summary>
/// <param name="DataWait">the share of the logging window's time the step spent waiting for its batch (images still decoding): 0 when loading keeps ahead</param>
public sealed record LogEntry(int Step, double Loss, double LearningRate, double ProjectorLearningRate, double GradNorm, double TokensPerSecond, double SamplesPerSecond, double DataWait = 0);

/// <summary>The mean loss over the validation set at one step.</summary>
public sealed record EvalEntry(int Step, double Loss, int Tokens);
