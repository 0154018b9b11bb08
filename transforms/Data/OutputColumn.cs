using Microsoft.ML.Data;

namespace Vlm.Transforms.Data;

/// <summary>A column a transformer adds; one with the name of an input column hides it, as in ML.NET's own transforms.</summary>
public sealed record OutputColumn(string Name, DataViewType Type);
