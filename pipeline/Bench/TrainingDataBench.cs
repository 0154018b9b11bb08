using System.Diagnostics;
using System.Text.Json;
using Vlm.Datasets.Shards;
using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Commands;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Pipeline.Bench;

/// <summary>
/// Whether <c>vlm train</c>'s memory grows with the dataset: a few steps of a tiny model on 20k and on
/// 200k synthetic rows (LLaVA-like lengths: mostly 60-200 tokens, some 300-700), each run in a process
/// of its own for its peak RSS. The rows are the data's size, not the model's: the larger run reads ten
/// times the ids and labels before its first step.
/// </summary>
internal static class TrainingDataBench
{
    public const string Child = "train-rows";
    const int RowsPerShard = 10_000, Steps = 3;

    public static IEnumerable<BenchRow> Run(string work, bool quick, Action<string> log)
    {
        int small = quick ? 2_000 : 20_000, large = quick ? 20_000 : 200_000;
        string tiny = Path.Combine(work, "train-rows-model");
        Command(new InitTinyCommand(), "--out", tiny, "--hidden", "32", "--layers", "1", "--image_size", "16", "--patch_size", "8");
        var (peakA, secondsA) = Measure(work, tiny, small);
        var (peakB, secondsB) = Measure(work, tiny, large);
        log($"train rows {small:N0} rows: peak {peakA / 1048576.0:F0} MB, {secondsA:F1} s; {large:N0} rows: peak {peakB / 1048576.0:F0} MB, {secondsB:F1} s");
        return
        [
            // Met when the larger run's peak is within 10% of the smaller one's: ratio = peak(small) / peak(large) >= 1 / 1.1.
            new BenchRow("training", $"vlm train peak RSS at {small / 1000}k / at {large / 1000}k rows ({Steps} steps, tiny model)", "MB", peakA / 1048576.0, $"{large / 1000}k rows", peakB / 1048576.0, 1 / 1.1,
                $"medians of 3 runs; wall time {secondsA:F1} s and {secondsB:F1} s (reading the rows included)"),
        ];
    }

    /// <summary>
    /// Medians of three runs: a run's peak moves by ~150 MB between runs of one size (two levels, ~640
    /// and ~795 MB, seen at 20k and at 200k alike), more than the rows could add.
    /// </summary>
    static (long Peak, double Seconds) Measure(string work, string tiny, int rows)
    {
        const int repeats = 3;
        string data = Path.Combine(work, $"train-rows-{rows}");
        WriteShards(data, rows);
        var runs = new List<(long Peak, double Seconds)>();
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            var result = PeerProcess.Self("bench", "--child", Child, "--data", data, "--model", tiny, "--out", Path.Combine(work, $"train-rows-run-{rows}-{r}"));
            runs.Add((result.GetProperty("peak_bytes").GetInt64(), clock.Elapsed.TotalSeconds));
        }
        Directory.Delete(data, recursive: true);
        return (runs.Select(r => r.Peak).Order().ElementAt(repeats / 2), runs.Select(r => r.Seconds).Order().ElementAt(repeats / 2));
    }

    /// <summary>Text-only rows with a third of each row unlabelled (the prompt), in shards of 10k rows and a manifest.</summary>
    static void WriteShards(string folder, int count)
    {
        Directory.CreateDirectory(folder);
        var random = new Random(5);
        var manifest = new EtlManifest
        {
            Rows = count, Records = count,
            // The template the tiny model's 16-px tower with 8-px patches is trained with: 4 image tokens.
            Config = new EtlOptions { Sources = [], Output = folder, Template = new ChatTemplateOptions { Format = ChatFormat.Qwen2, ImageTokenCount = 4, SystemPrompt = "" } },
        };
        for (int shard = 0; shard * RowsPerShard < count; shard++)
        {
            var rows = new List<ShardRow>();
            for (int i = shard * RowsPerShard; i < Math.Min(count, (shard + 1) * RowsPerShard); i++)
            {
                int length = random.NextDouble() < 0.8 ? random.Next(60, 200) : random.Next(300, 700);
                var ids = Enumerable.Range(0, length).Select(_ => random.Next(10, 1000)).ToList();
                rows.Add(new ShardRow
                {
                    Id = $"r{i}", Source = "synthetic", InputIds = ids, Labels = [.. ids.Select((id, t) => t < length / 3 ? -100 : id)], Text = "",
                });
            }
            string file = $"train-{shard:D5}.parquet";
            string sha = ShardFile.WriteAsync(Path.Combine(folder, file), rows).GetAwaiter().GetResult();
            manifest.Shards.Add(new EtlManifest.ShardEntry(file, rows.Count, sha));
        }
        File.WriteAllText(Path.Combine(folder, EtlManifest.FileName), JsonSerializer.Serialize(manifest, EtlRunner.Json));
    }

    static void Command(ICommand command, params string[] arguments)
    {
        var error = new StringWriter();
        int code = new CommandRunner([command]).Run([command.Name, .. arguments], TextWriter.Null, error);
        if (code != ExitCodes.Ok) throw new InvalidOperationException($"vlm {command.Name} exited with {code}: {error.ToString().Trim()}");
    }

    /// <summary>The child's work: <c>vlm train</c> in this process (LoRA, a few steps), then its peak RSS as one JSON line.</summary>
    public static void RunChild(string data, string model, string output, TextWriter writer)
    {
        Command(new TrainCommand(), "--data", data, "--llm", Path.Combine(model, "llm"), "--vision", Path.Combine(model, "vision"), "--output_dir", output, "--image_root", data,
            "--max_steps", Steps.ToString(), "--per_device_train_batch_size", "4", "--logging_steps", "1", "--save_steps", "1000", "--lora_rank", "4");
        writer.WriteLine(JsonSerializer.Serialize(new { peak_bytes = PeakMemory.Bytes() }));
    }
}
