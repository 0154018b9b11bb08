namespace Vlm.Transforms.Etl;

/// <summary>
/// The record ids seen so far, as 64-bit FNV-1a hashes (8 bytes each, not the strings, so 1.2 M ids
/// take ~30 MB): two different ids share a hash with probability about n^2 / 2^65, 4e-8 for 1.2 M.
/// </summary>
internal sealed class IdSet
{
    readonly HashSet<ulong> _seen = [];

    /// <summary>True the first time an id is added, false when an earlier row had it.</summary>
    public bool Add(string id) => _seen.Add(Fnv1a(id));

    static ulong Fnv1a(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (char c in text) hash = (hash ^ c) * 1099511628211;
        return hash;
    }
}
