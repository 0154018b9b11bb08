namespace Vlm.Trainers.Reference;

/// <summary>
/// One output compared: the largest absolute difference and the tolerance (or, when <paramref name="Relative"/>,
/// the relative error ||actual - expected|| / ||expected|| and its bound), or why it could not be compared.
/// </summary>
internal sealed record ReferenceResult(string Fixture, string Output, double MaxAbsDiff, double Tolerance, string? Problem = null, bool Skipped = false, bool Relative = false)
{
    public bool Passed => Skipped || (Problem is null && MaxAbsDiff <= Tolerance);
}
