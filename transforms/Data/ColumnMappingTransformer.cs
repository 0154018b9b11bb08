using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vlm.Transforms.Data;

/// <summary>
/// Base of the ETL transformers: adds computed columns to every row, lazily (a value is computed
/// when a cursor's getter asks for it, once per row), so a consumer that skips rows pays only for
/// what it reads. The output is a streaming view over the input: nothing is materialised.
/// </summary>
public abstract class ColumnMappingTransformer : ITransformer
{
    private protected ColumnMappingTransformer() { }

    /// <summary>The columns this transformer adds.</summary>
    public abstract IReadOnlyList<OutputColumn> Outputs { get; }

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the column when the input lacks one this transformer reads.</summary>
    private protected abstract void CheckInput(DataViewSchema input);

    /// <summary>One getter per <see cref="Outputs"/> column, in order, reading from <paramref name="input"/>'s current row.</summary>
    private protected abstract Delegate[] CreateGetters(DataViewRow input);

    public bool IsRowToRowMapper => false;

    /// <summary>
    /// The input's visible columns that no output replaces, then the outputs. Replaced and hidden
    /// columns are dropped rather than kept hidden, so that a preview of the ETL's output shows one
    /// <c>reject_reason</c>, not one per step.
    /// </summary>
    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema)
    {
        CheckInput(inputSchema);
        var builder = new DataViewSchema.Builder();
        var replaced = Outputs.Select(c => c.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var column in inputSchema)
            if (!column.IsHidden && !replaced.Contains(column.Name)) builder.AddColumn(column.Name, column.Type, column.Annotations);
        foreach (var column in Outputs) builder.AddColumn(column.Name, column.Type);
        return builder.ToSchema();
    }

    public IDataView Transform(IDataView input)
    {
        var schema = GetOutputSchema(input.Schema);
        return new MappedDataView(input, schema, this);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) =>
        throw new NotSupportedException($"{GetType().Name} maps data views, not single rows");

    void ICanSaveModel.Save(ModelSaveContext ctx) =>
        throw new NotSupportedException($"{GetType().Name} holds no trained state: build it again from its options instead of saving it");

    internal Delegate[] Getters(DataViewRow input) => CreateGetters(input);

    /// <summary>The input's <c>reject_reason</c>, or always empty when it has none: rejected rows are passed on, not worked on.</summary>
    private protected static Func<string> PriorRejectReason(DataViewRow input) =>
        input.Schema.GetColumnOrNull(VlmColumns.RejectReason) is null ? () => "" : RowGetters.ReadText(input, VlmColumns.RejectReason);

    private protected static void Require(DataViewSchema schema, string name, DataViewType type)
    {
        var column = schema.GetColumnOrNull(name)
            ?? throw new ArgumentOutOfRangeException(nameof(schema), name, $"the input has no '{name}' column");
        bool matches = type is VectorDataViewType vector
            ? column.Type is VectorDataViewType actual && actual.ItemType.Equals(vector.ItemType)
            : column.Type.Equals(type);
        if (!matches) throw new ArgumentOutOfRangeException(nameof(schema), name, $"column '{name}' is {column.Type}, not {type}");
    }

    private protected static ValueGetter<int> Int32Output(Func<int> get) => (ref int value) => value = get();

    private protected static ValueGetter<bool> BooleanOutput(Func<bool> get) => (ref bool value) => value = get();
}
