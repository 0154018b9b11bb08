using Microsoft.ML;
using Vlm.Transforms.Data;

namespace Vlm.Trainers.Features;

/// <summary>The distinct images of a dataset's rows, as a feature cache is built from them.</summary>
internal static class DatasetImages
{
    /// <summary>
    /// Each image SHA-256 of <paramref name="rows"/> once (the first row naming it), with its file as
    /// <paramref name="imagePath"/> (source, image) resolves it; rows without an image are skipped, a row
    /// with an image but no hash is refused by its id.
    /// </summary>
    public static List<(string Sha256, string Path)> Distinct(IDataView rows, Func<string, string, string> imagePath)
    {
        var columns = new[] { rows.Schema[VlmColumns.Image], rows.Schema[VlmColumns.ImageSha256], rows.Schema[VlmColumns.Id], rows.Schema[VlmColumns.Source] };
        using var cursor = rows.GetRowCursor(columns);
        var image = cursor.GetGetter<ReadOnlyMemory<char>>(columns[0]);
        var sha = cursor.GetGetter<ReadOnlyMemory<char>>(columns[1]);
        var id = cursor.GetGetter<ReadOnlyMemory<char>>(columns[2]);
        var source = cursor.GetGetter<ReadOnlyMemory<char>>(columns[3]);
        ReadOnlyMemory<char> imageValue = default, shaValue = default, idValue = default, sourceValue = default;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var images = new List<(string, string)>();
        while (cursor.MoveNext())
        {
            image(ref imageValue);
            if (imageValue.IsEmpty) continue;
            sha(ref shaValue);
            if (shaValue.IsEmpty)
            {
                id(ref idValue);
                throw new InvalidDataException($"row {idValue} (image {imageValue}) has no image_sha256; prepare the data again with vlm prepare");
            }
            if (!seen.Add(shaValue.ToString())) continue;
            source(ref sourceValue);
            images.Add((shaValue.ToString(), imagePath(sourceValue.ToString(), imageValue.ToString())));
        }
        return images;
    }
}
