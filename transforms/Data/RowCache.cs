using Microsoft.ML;

namespace Vlm.Transforms.Data;

/// <summary>A value computed from a cursor's current row, once per row however many getters read it.</summary>
internal sealed class RowCache<T>(DataViewRow row, Func<T> compute)
{
    long _position = -1;
    T _value = default!;

    public T Value
    {
        get
        {
            if (_position != row.Position)
            {
                _value = compute();
                _position = row.Position;
            }
            return _value;
        }
    }
}
