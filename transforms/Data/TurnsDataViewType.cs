using Microsoft.ML.Data;
using Vlm.Datasets.Sources;

namespace Vlm.Transforms.Data;

/// <summary>
/// A column of parsed conversation turns (<see cref="IReadOnlyList{Turn}"/>): how the ETL's records
/// reach the tokenizer as they were read, with no LLaVA JSON written and parsed again between the two.
/// </summary>
public sealed class TurnsDataViewType : StructuredDataViewType
{
    public static TurnsDataViewType Instance { get; } = new();

    TurnsDataViewType() : base(typeof(IReadOnlyList<Turn>)) { }

    public override bool Equals(DataViewType? other) => other is TurnsDataViewType;

    public override int GetHashCode() => typeof(TurnsDataViewType).GetHashCode();

    public override string ToString() => "Turns";
}
