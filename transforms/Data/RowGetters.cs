using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vlm.Transforms.Data;

/// <summary>The getters this project's data views give and take: text as strings, int32 vectors as arrays.</summary>
internal static class RowGetters
{
    /// <summary>Reads a text column of <paramref name="row"/>'s current row.</summary>
    public static Func<string> ReadText(DataViewRow row, string name)
    {
        var getter = row.GetGetter<ReadOnlyMemory<char>>(row.Schema[name]);
        return () =>
        {
            ReadOnlyMemory<char> value = default;
            getter(ref value);
            return value.ToString();
        };
    }

    /// <summary>Reads an int32 vector column of <paramref name="row"/>'s current row.</summary>
    public static Func<int[]> ReadInt32s(DataViewRow row, string name)
    {
        var getter = row.GetGetter<VBuffer<int>>(row.Schema[name]);
        return () =>
        {
            VBuffer<int> value = default;
            getter(ref value);
            return value.DenseValues().ToArray();
        };
    }

    /// <summary>Reads an int32 column of <paramref name="row"/>'s current row.</summary>
    public static Func<int> ReadInt32(DataViewRow row, string name)
    {
        var getter = row.GetGetter<int>(row.Schema[name]);
        return () =>
        {
            int value = 0;
            getter(ref value);
            return value;
        };
    }

    public static ValueGetter<ReadOnlyMemory<char>> Text(Func<string> get) =>
        (ref ReadOnlyMemory<char> value) => value = get().AsMemory();

    public static ValueGetter<VBuffer<int>> Int32s(Func<IReadOnlyList<int>> get) => (ref VBuffer<int> value) =>
    {
        var values = get();
        var editor = VBufferEditor.Create(ref value, values.Count);
        for (int i = 0; i < values.Count; i++) editor.Values[i] = values[i];
        value = editor.Commit();
    };
}
