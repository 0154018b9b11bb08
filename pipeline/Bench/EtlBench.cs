using System.Diagnostics;
using System.Text.Json;
using Vlm.Datasets.Synthetic;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// The ETL end to end (LLaVA JSON -> checked images -> tokenized conversations -> Parquet shards):
/// samples per second and the peak resident set, each size in a process of its own so that the
/// peaks do not mix. The records cycle over a few hundred images: memory, not image checking, is
/// what grows with the record count.
/// </summary>
internal static class EtlBench
{
    public const string Child = "etl";

    public static IEnumerable<BenchRow> Run(int small, int large, int repeats, Action<string> log)
    {
        var (rateA, peakA) = Measure(small, repeats);
        var (rateB, peakB) = Measure(large, repeats);
        log($"etl        {small:N0} records: {rateA:F0}/s, peak {peakA / 1048576.0:F0} MB; {large:N0}: {rateB:F0}/s, peak {peakB / 1048576.0:F0} MB (medians of {repeats} runs)");
        return
        [
            new BenchRow("etl", $"samples/s at {Count(large)} vs at {Count(small)} records", "samples/s", rateB, $"{Count(small)} records", rateA, null),
            // Met when the larger run's peak is within 10% of the smaller one's: ratio = peak(small) / peak(large) >= 1 / 1.1.
            new BenchRow("etl", $"peak RSS at {Count(small)} / at {Count(large)} records", "MB", peakA / 1048576.0, $"{Count(large)} records", peakB / 1048576.0, 1 / 1.1,
                $"medians of {repeats} runs each"),
        ];
    }

    /// <summary>Medians over runs: one run's peak moves by 10% or more with when the collector happens to run.</summary>
    static (double Rate, long Peak) Measure(int records, int repeats)
    {
        var runs = Enumerable.Range(0, repeats).Select(_ => PeerProcess.Self("bench", "--child", Child, "--records", records.ToString())).ToList();
        var rates = runs.Select(r => r.GetProperty("records").GetDouble() / r.GetProperty("seconds").GetDouble()).Order().ToList();
        var peaks = runs.Select(r => r.GetProperty("peak_bytes").GetInt64()).Order().ToList();
        return (rates[repeats / 2], peaks[repeats / 2]);
    }

    /// <summary>The child's work: writes the inputs into a temporary folder, runs the ETL, prints one JSON line.</summary>
    public static void RunChild(int records, TextWriter output)
    {
        string work = Path.Combine(Path.GetTempPath(), $"vlm-bench-etl-{Guid.NewGuid():N}");
        try
        {
            var scenes = ShapesDataset.Write(Path.Combine(work, "data"), 300, seed: 1, imageSize: 64);
            string annotations = Path.Combine(work, "records.json");
            // Written as a stream: a JSON tree of every record would itself raise the peak being measured.
            using (var stream = File.Create(annotations))
            using (var json = new Utf8JsonWriter(stream))
            {
                json.WriteStartArray();
                for (int i = 0; i < records; i++)
                {
                    var s = scenes[i % scenes.Count];
                    json.WriteStartObject();
                    json.WriteString("id", $"r{i}");
                    json.WriteString("image", $"shape_{i % scenes.Count:D5}.png");
                    json.WriteStartArray("conversations");
                    Turn(json, "human", "<image>\nWhat shape is in the image? Describe it in detail, please.");
                    Turn(json, "gpt", $"A {s.Size} {s.Colour} {s.Shape} on the {s.Position} of the image, drawn on a white background (record {i}).");
                    json.WriteEndArray();
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            var tokenizer = QwenTokenizer.Load(BuiltInTokenizer.Folder);
            var clock = Stopwatch.StartNew();
            new EtlRunner(tokenizer, new EtlOptions
            {
                Sources = [new EtlSource(SourceFormat.Llava, annotations, Path.Combine(work, "data", ShapesDataset.ImagesFolder))],
                Output = Path.Combine(work, "shards"), Template = new ChatTemplateOptions { Format = ChatFormat.Qwen2 },
            }).RunAsync().GetAwaiter().GetResult();
            double seconds = clock.Elapsed.TotalSeconds;
            output.WriteLine(JsonSerializer.Serialize(new { records, seconds, peak_bytes = PeakMemory.Bytes() }));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    static string Count(int records) => records >= 1000 ? $"{records / 1000}k" : records.ToString();

    static void Turn(Utf8JsonWriter json, string from, string value)
    {
        json.WriteStartObject();
        json.WriteString("from", from);
        json.WriteString("value", value);
        json.WriteEndObject();
    }
}
