using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vlm.Transforms.Data;

/// <summary>
/// The estimator of a <see cref="ColumnMappingTransformer"/>: nothing is learned, so <c>Fit</c>
/// checks the input schema and returns the transformer; it exists so the ETL steps compose with
/// <c>Append</c> like any ML.NET estimator.
/// </summary>
public sealed class ColumnMappingEstimator<TTransformer>(TTransformer transformer) : IEstimator<TTransformer>
    where TTransformer : ColumnMappingTransformer
{
    public TTransformer Fit(IDataView input)
    {
        transformer.GetOutputSchema(input.Schema);
        return transformer;
    }

    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        // SchemaShape.Column has no public constructor: go through a schema with the same columns.
        var builder = new DataViewSchema.Builder();
        foreach (var column in inputSchema)
        {
            var type = column.Kind == SchemaShape.Column.VectorKind.Scalar ? column.ItemType : new VectorDataViewType((PrimitiveDataViewType)column.ItemType);
            builder.AddColumn(column.Name, type);
        }
        return CreateShape(null, transformer.GetOutputSchema(builder.ToSchema()));
    }

    // ML.NET keeps SchemaShape.Create (and the Column constructor) internal to its own assemblies, so
    // an estimator outside them cannot otherwise describe the columns it adds.
    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.StaticMethod, Name = "Create")]
    static extern SchemaShape CreateShape(SchemaShape? type, DataViewSchema schema);
}
