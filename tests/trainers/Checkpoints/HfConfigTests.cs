using Vlm.Tests.TestSupport;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Qwen2;

namespace Vlm.Tests.Trainers.Checkpoints;

/// <summary>config.json values the fuzzer found escaping as bare runtime errors are refused naming the file and key.</summary>
public class HfConfigTests
{
    const string Good = """{"model_type": "qwen2", "vocab_size": 300, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2}""";

    static CheckpointFormatException Refused(string json)
    {
        using var folder = new TempFolder();
        string path = folder.File("config.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<CheckpointFormatException>(() => Qwen2Config.From(HfConfig.Load(path)));
        Assert.StartsWith(path, e.Message);
        return e;
    }

    [Fact]
    public void A_number_too_large_for_its_field_is_refused() =>
        Assert.Contains("\"num_hidden_layers\" must be a whole number", Refused(Good.Replace("\"num_hidden_layers\": 2", "\"num_hidden_layers\": 99999999999999999999")).Message);

    [Fact]
    public void A_zero_or_negative_size_is_refused_before_it_divides_by_zero()
    {
        Assert.Contains("\"num_attention_heads\" is 0; it must be at least 1", Refused(Good.Replace("\"num_attention_heads\": 4", "\"num_attention_heads\": 0")).Message);
        Assert.Contains("\"hidden_size\" is -1", Refused(Good.Replace("\"hidden_size\": 16", "\"hidden_size\": -1")).Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_string_is_refused()
    {
        using var folder = new TempFolder();
        string path = folder.File("config.json");
        var bytes = System.Text.Encoding.UTF8.GetBytes(Good);
        int at = Array.IndexOf(bytes, (byte)'q'); // inside "qwen2"
        bytes[at] = 0xEE;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("not valid UTF-8", Assert.Throws<CheckpointFormatException>(() => HfConfig.Load(path)).Message);
    }
}
