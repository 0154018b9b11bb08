namespace Vlm.Trainers.Reference;

/// <summary>One output compared: the largest absolute difference and the tolerance, or why it could not be compared.</summary>
internal sealed record ReferenceResult(string Fixture, string Output, double MaxAbsDiff, double Tolerance, string? Problem = null, bool Skipped = false)
{
    public bool Passed => Skipped || (Problem is null && MaxAbsDiff <= Tolerance);
}
