using Microsoft.ML;

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

    public SchemaShape GetOutputSchema(SchemaShape inputSchema) =>
        SchemaShapes.From(transformer.GetOutputSchema(SchemaShapes.ToSchema(inputSchema)));
}
