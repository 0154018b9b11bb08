namespace Vlm.Tests.TestSupport;

/// <summary>
/// Tests that seed or draw from TorchSharp's process-wide random generator (model initialisation,
/// dropout, training) run one at a time: in parallel, one test's draws would shift another's stream
/// and break the checks that a seeded run repeats exactly.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TorchRandomCollection
{
    public const string Name = "TorchSharp's random generator";
}
