using System.Text.Json;

namespace Vlm.Datasets.Images;

/// <summary>Typed reads of a processor config's keys; a JSON null reads as missing, as transformers' defaults treat None. Errors name the file and key.</summary>
internal sealed class ConfigKeys(JsonElement root, string path)
{
    JsonElement? Get(string key) => root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public InvalidDataException Invalid(string key, string why) => new($"{path}: {key}: {why}");

    public NotSupportedException NotImplemented(string key, string value, string what) =>
        new($"{path}: {key} {value} is not implemented ({what}); the processor refuses it rather than guess");

    public string? String(string key) => Get(key) is { } v
        ? v.ValueKind == JsonValueKind.String ? v.GetString() : throw Invalid(key, $"expected a string, found {v.ValueKind}")
        : null;

    public bool? Bool(string key) => Get(key) is { } v
        ? v.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Invalid(key, $"expected true or false, found {v}") }
        : null;

    public double? Number(string key) => Get(key) is { } v
        ? v.ValueKind == JsonValueKind.Number && double.IsFinite(v.GetDouble()) ? v.GetDouble() : throw Invalid(key, $"expected a number, found {v}")
        : null;

    /// <summary>A per-channel list (mean, std): three numbers, or one number for all three channels, as transformers accepts.</summary>
    public double[]? Triple(string key)
    {
        if (Get(key) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number) return [v.GetDouble(), v.GetDouble(), v.GetDouble()];
        if (v.ValueKind != JsonValueKind.Array || v.GetArrayLength() != 3 || v.EnumerateArray().Any(n => n.ValueKind != JsonValueKind.Number))
            throw Invalid(key, $"expected three numbers (R, G, B), found {v}");
        return [.. v.EnumerateArray().Select(n => n.GetDouble())];
    }

    public ResampleFilter? Resample()
    {
        if (Get("resample") is not { } v) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int n) || n is < 0 or > 5)
            throw Invalid("resample", $"expected one of PIL's filters 0-5, found {v}");
        var filter = (ResampleFilter)n;
        if (filter == ResampleFilter.Nearest && (Bool("do_resize") ?? true))
            throw NotImplemented("resample", "0 (nearest)", "bicubic 3, bilinear 2, lanczos 1, box 4 and hamming 5 are");
        return filter;
    }

    /// <summary>
    /// <c>size</c> or <c>crop_size</c> as (shortest edge, height, width): an int is a shortest edge or,
    /// with <paramref name="squareInt"/>, a square (transformers' <c>get_size_dict</c>); an object holds
    /// <c>shortest_edge</c> alone or <c>height</c> and <c>width</c>. Other forms (<c>longest_edge</c>, ...) are refused.
    /// </summary>
    public (int? Edge, int? Height, int? Width)? Size(string key, bool squareInt)
    {
        if (Get(key) is not { } v) return null;
        if (v.ValueKind == JsonValueKind.Number) return squareInt ? (null, Positive(key, v), Positive(key, v)) : (Positive(key, v), null, null);
        if (v.ValueKind != JsonValueKind.Object) throw Invalid(key, $"expected a number or an object, found {v}");
        var names = v.EnumerateObject().Where(p => p.Value.ValueKind != JsonValueKind.Null).Select(p => p.Name).Order(StringComparer.Ordinal).ToArray();
        if (names.SequenceEqual(["shortest_edge"]) && !squareInt) return (Positive(key, v.GetProperty("shortest_edge")), null, null);
        if (names.SequenceEqual(["height", "width"])) return (null, Positive(key, v.GetProperty("height")), Positive(key, v.GetProperty("width")));
        throw NotImplemented(key, $"with keys {{{string.Join(", ", names)}}}",
            squareInt ? "height and width are" : "shortest_edge, or height and width, are");
    }

    int Positive(string key, JsonElement v) =>
        v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int n) && n is > 0 and <= 16384 ? n : throw Invalid(key, $"expected a size from 1 to 16384 pixels, found {v}");
}
