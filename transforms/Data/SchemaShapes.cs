using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vlm.Transforms.Data;

/// <summary>
/// Between <see cref="SchemaShape"/> (what estimators announce) and <see cref="DataViewSchema"/>
/// (what transformers compute). ML.NET keeps <c>SchemaShape.Create</c> and the column constructor
/// internal to its own assemblies, so an estimator outside them reaches it by <c>UnsafeAccessor</c>.
/// </summary>
internal static class SchemaShapes
{
    public static DataViewSchema ToSchema(SchemaShape shape)
    {
        var builder = new DataViewSchema.Builder();
        foreach (var column in shape)
        {
            var type = column.Kind == SchemaShape.Column.VectorKind.Scalar ? column.ItemType : new VectorDataViewType((PrimitiveDataViewType)column.ItemType);
            builder.AddColumn(column.Name, type);
        }
        return builder.ToSchema();
    }

    public static SchemaShape From(DataViewSchema schema) => Create(null, schema);

    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.StaticMethod, Name = "Create")]
    static extern SchemaShape Create(SchemaShape? type, DataViewSchema schema);
}
