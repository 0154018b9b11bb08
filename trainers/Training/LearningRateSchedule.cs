namespace Vlm.Trainers.Training;

/// <summary>The multiplier of every group's base learning rate at a step, as Hugging Face's schedulers compute it.</summary>
internal static class LearningRateSchedule
{
    public static double Factor(LrSchedule schedule, int step, int warmup, int total)
    {
        if (step < warmup) return (double)step / Math.Max(1, warmup);
        double progress = (double)(step - warmup) / Math.Max(1, total - warmup);
        return schedule switch
        {
            LrSchedule.Linear => Math.Max(0, 1 - progress),
            LrSchedule.Cosine => Math.Max(0, 0.5 * (1 + Math.Cos(Math.PI * progress))),
            _ => 1,
        };
    }
}
