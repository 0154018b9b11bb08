using System.Text.Json.Nodes;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Modules;

namespace Vlm.Trainers.Models.Text;

/// <summary>
/// A <c>config.json</c>'s <c>rope_scaling</c>: how the rotary frequencies are stretched for a longer
/// context. Implemented: <c>linear</c> (every frequency divided by <c>factor</c>) and <c>llama3</c>
/// (Llama-3.1's: low frequencies divided by <c>factor</c>, high ones kept, a smooth blend between).
/// Others (<c>dynamic</c>, <c>yarn</c>, ...) are refused when the config is read, not silently ignored.
/// </summary>
internal sealed record RopeScaling
{
    public required string Type { get; init; }
    public double Factor { get; init; } = 1;
    public double LowFreqFactor { get; init; } = 1;
    public double HighFreqFactor { get; init; } = 4;
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    /// <summary>The config's <c>rope_scaling</c>, or null when it is absent, null or <c>default</c>.</summary>
    public static RopeScaling? From(HfConfig config)
    {
        var section = config.Section("rope_scaling");
        if (section is null) return null;
        string type = section.String("rope_type") ?? section.String("type")
            ?? throw new CheckpointFormatException(config.Path, null, "rope_scaling has neither \"rope_type\" nor \"type\"");
        return type switch
        {
            "default" => null,
            "linear" => new RopeScaling { Type = type, Factor = Positive(section, "factor") },
            "llama3" => new RopeScaling
            {
                Type = type, Factor = Positive(section, "factor"), LowFreqFactor = Positive(section, "low_freq_factor"),
                HighFreqFactor = Positive(section, "high_freq_factor"), OriginalMaxPositionEmbeddings = section.Count("original_max_position_embeddings"),
            },
            _ => throw new CheckpointFormatException(config.Path, null, $"rope_scaling type '{type}' is not implemented (default, linear and llama3 are)"),
        };
    }

    static double Positive(HfConfig section, string key)
    {
        double value = section.Double(key);
        return value > 0 ? value : throw new CheckpointFormatException(section.Path, null, $"\"{key}\" is {value}; it must be above 0");
    }

    /// <summary>The inverse frequencies for <paramref name="headDim"/> and <paramref name="theta"/>, with this scaling (or none) applied.</summary>
    public static double[] InverseFrequencies(RopeScaling? scaling, int headDim, double theta)
    {
        var inverse = RotaryEmbedding.InverseFrequencies(headDim, theta);
        if (scaling is null) return inverse;
        if (scaling.Type == "linear") return [.. inverse.Select(f => f / scaling.Factor)];
        // llama3: wavelengths longer than the original context / low_freq_factor are slowed by the
        // factor, shorter than the context / high_freq_factor kept, and those between interpolated.
        double lowWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.LowFreqFactor;
        double highWavelength = scaling.OriginalMaxPositionEmbeddings / scaling.HighFreqFactor;
        return [.. inverse.Select(f =>
        {
            double wavelength = 2 * Math.PI / f;
            if (wavelength < highWavelength) return f;
            if (wavelength > lowWavelength) return f / scaling.Factor;
            double smooth = (scaling.OriginalMaxPositionEmbeddings / wavelength - scaling.LowFreqFactor) / (scaling.HighFreqFactor - scaling.LowFreqFactor);
            return (1 - smooth) * f / scaling.Factor + smooth * f;
        })];
    }

    /// <summary>As Hugging Face writes it in <c>config.json</c>.</summary>
    public JsonObject ToJson() => Type == "linear"
        ? new JsonObject { ["rope_type"] = Type, ["factor"] = Factor }
        : new JsonObject
        {
            ["rope_type"] = Type, ["factor"] = Factor, ["low_freq_factor"] = LowFreqFactor,
            ["high_freq_factor"] = HighFreqFactor, ["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings,
        };
}
