using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vlm.Transforms.Data;

/// <summary>
/// Adds the optional columns a view lacks, each empty in every row: a text column as "", a vector
/// column as no values. Lets a stage that reads a fixed set of columns (ML.NET's custom mappings read
/// every property of their input class) take views that hold only the columns that matter.
/// </summary>
internal sealed class DefaultColumnsTransformer : ColumnMappingTransformer
{
    DefaultColumnsTransformer(IReadOnlyList<OutputColumn> missing) => Outputs = missing;

    public override IReadOnlyList<OutputColumn> Outputs { get; }

    /// <summary>The transformer adding those of <paramref name="optional"/> that <paramref name="schema"/> lacks, or null when it has them all.</summary>
    public static DefaultColumnsTransformer? For(DataViewSchema schema, IEnumerable<OutputColumn> optional)
    {
        var missing = optional.Where(c => schema.GetColumnOrNull(c.Name) is null).ToList();
        return missing.Count == 0 ? null : new DefaultColumnsTransformer(missing);
    }

    private protected override void CheckInput(DataViewSchema input) { }

    private protected override Delegate[] CreateGetters(DataViewRow input) => [.. Outputs.Select(Empty)];

    static Delegate Empty(OutputColumn column) => column.Type switch
    {
        TextDataViewType => (ValueGetter<ReadOnlyMemory<char>>)((ref ReadOnlyMemory<char> value) => value = ReadOnlyMemory<char>.Empty),
        VectorDataViewType { ItemType: TextDataViewType } => (ValueGetter<VBuffer<ReadOnlyMemory<char>>>)((ref VBuffer<ReadOnlyMemory<char>> value) => value = new VBuffer<ReadOnlyMemory<char>>(0, [])),
        VectorDataViewType { ItemType: NumberDataViewType n } when n.RawType == typeof(byte) => (ValueGetter<VBuffer<byte>>)((ref VBuffer<byte> value) => value = new VBuffer<byte>(0, [])),
        _ => throw new NotSupportedException($"no empty value for a {column.Type} column"),
    };
}
