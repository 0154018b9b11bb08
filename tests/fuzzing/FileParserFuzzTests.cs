using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using SkiaSharp;
using Vlm.Datasets.Shards;
using Vlm.Transforms.Etl;
using Vlm.Transforms.Shards;
using Vlm.Datasets.Images;
using Vlm.Datasets.Sources;
using Vlm.Datasets.Tokenizers;
using Vlm.Tests.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Tests.Trainers.Checkpoints;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Qwen2;
using Vlm.Trainers.Models.Vision;

namespace Vlm.Tests.Fuzzing;

/// <summary>
/// Every parser of a user's file, fed mutants of valid files (<see cref="Mutator"/>): each case ends
/// in the parser's own refusal naming the file, or in a result; never another exception, a crash or a
/// hang. The counts are small enough for CI (a few thousand cases in all, well under a minute).
/// </summary>
[Collection(TokenizerCollection.Name)]
public class FileParserFuzzTests(TokenizerFixture tokenizers) : IDisposable
{
    readonly TempFolder _root = new();

    public void Dispose() => _root.Dispose();

    /// <summary>Writes each case to one file in the test's folder and hands the path to <paramref name="parse"/>.</summary>
    (int Cases, int Refused) RunOnFile(string what, string name, int seed, int cases, IReadOnlyList<byte[]> seeds, Action<string> parse, Func<Exception, bool> refusal)
    {
        int n = 0;
        return Mutator.Run(what, seed, cases, seeds, bytes =>
        {
            string folder = _root.File($"{what}-{Interlocked.Increment(ref n)}");
            Directory.CreateDirectory(folder);
            string path = Path.Combine(folder, name);
            File.WriteAllBytes(path, bytes);
            parse(path);
        }, e => refusal(e) && e.Message.Contains(name, StringComparison.Ordinal));
    }

    /// <summary>The mutants are neither all refused nor all harmless, so both paths ran.</summary>
    static void BothOutcomes((int Cases, int Refused) outcome) => Assert.InRange(outcome.Refused, 1, outcome.Cases - 1);

    [Fact]
    public void Safetensors_headers_and_data()
    {
        byte[][] seeds =
        [
            SafetensorsBytes.Build("""{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[3],"data_offsets":[16,22]},"c":{"dtype":"I64","shape":[1],"data_offsets":[22,30]}}""",
                [.. SafetensorsBytes.Floats(1, 2, 3, 4), 0x80, 0x3F, 0, 0x40, 0x40, 0x40, 7, 0, 0, 0, 0, 0, 0, 0]),
            SafetensorsBytes.Build("""{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", SafetensorsBytes.Floats(5)),
        ];
        var outcome = RunOnFile("safetensors", "model.safetensors", seed: 1, cases: 800, seeds, path =>
        {
            using var file = SafetensorsFile.Open(path);
            foreach (var name in file.Names) file.Read(name).Dispose();
        }, e => e is CheckpointFormatException);
        BothOutcomes(outcome);
    }

    [Fact]
    public void Config_json_of_an_llm_and_a_vision_tower()
    {
        byte[][] seeds =
        [
            """{"model_type": "qwen2", "vocab_size": 300, "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2, "rope_theta": 10000.0, "rms_norm_eps": 1e-6, "tie_word_embeddings": true, "max_position_embeddings": 512}"""u8.ToArray(),
            """{"model_type": "clip_vision_model", "hidden_size": 16, "intermediate_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "image_size": 16, "patch_size": 8, "num_channels": 3}"""u8.ToArray(),
        ];
        var outcome = RunOnFile("config", "config.json", seed: 2, cases: 600, seeds, path =>
        {
            var config = HfConfig.Load(path);
            if (config.String("model_type", "") == "qwen2") Qwen2Config.From(config); else VisionConfig.From(config);
        }, e => e is CheckpointFormatException);
        BothOutcomes(outcome);
    }

    [Fact]
    public void Tokenizer_files_of_both_formats()
    {
        // A small vocabulary (the trimmed form init-tiny writes) keeps each load fast.
        string trimmed = _root.File("trimmed");
        TokenizerTrim.Write(tokenizers.Qwen2Folder, ["A red circle on a white ground. 一个红色的圆。", "What shape is in the image?"], trimmed);
        string tiktoken = _root.File("tiktoken");
        TiktokenExport.FromTokenizerJson(trimmed, tiktoken);
        foreach (var (name, folder, seed) in new[] { ("tokenizer.json", trimmed, 3), ("qwen.tiktoken", tiktoken, 4) })
        {
            var others = Directory.GetFiles(folder).Where(f => Path.GetFileName(f) != name).ToList();
            var outcome = RunOnFile($"tokenizer-{name}", name, seed, cases: 60, [File.ReadAllBytes(Path.Combine(folder, name))], path =>
            {
                foreach (var other in others) File.Copy(other, Path.Combine(Path.GetDirectoryName(path)!, Path.GetFileName(other)));
                var tokenizer = QwenTokenizer.Load(Path.GetDirectoryName(path)!);
                tokenizer.Decode(tokenizer.Encode("A red circle. 一个红色的圆。<|im_end|>"));
            }, e => e is TokenizerFormatException);
            Assert.InRange(outcome.Refused, 1, outcome.Cases); // qwen.tiktoken's line checks catch nearly every mutant
        }
    }

    [Fact]
    public void Annotation_files_of_every_format()
    {
        var formats = new (string Name, byte[] Seed, Func<string, IEnumerable<object>> Read)[]
        {
            ("llava.json", """[{"id": "a", "image": "x.png", "conversations": [{"from": "human", "value": "<image>\nWhat?"}, {"from": "gpt", "value": "A cat."}]}, {"id": "b", "conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello"}]}]"""u8.ToArray(),
                path => LlavaJsonSource.Read(path)),
            ("llava.jsonl", "{\"id\": \"a\", \"image\": \"x.png\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\nWhat?\"}, {\"from\": \"gpt\", \"value\": \"A cat.\"}]}\n{\"id\": \"b\", \"conversations\": [{\"from\": \"human\", \"value\": \"Hi\"}, {\"from\": \"gpt\", \"value\": \"Yo\"}]}\n"u8.ToArray(),
                path => LlavaJsonlSource.Read(path)),
            ("captions.json", Encoding.UTF8.GetBytes("""[{"url": "u", "image_id": "0.jpg", "caption": ["红色的圆", "一个圆"]}, {"url": "u", "image_id": "1.jpg", "caption": ["蓝色"]}]"""),
                path => AiChallengerSource.Read(path)),
            ("coco.json", """{"images": [{"id": 1, "file_name": "a.jpg"}], "annotations": [{"id": 9, "image_id": 1, "caption": "A dog."}, {"id": 10, "image_id": 1, "caption": "A pet."}]}"""u8.ToArray(),
                path => CocoCaptionsSource.Read(path)),
        };
        int seed = 10;
        foreach (var (name, bytes, read) in formats)
        {
            var outcome = RunOnFile($"annotations-{name}", name, seed++, cases: 400, [bytes], path => { foreach (var _ in read(path)) { } },
                e => e is InvalidDataException);
            Assert.InRange(outcome.Refused, 0, outcome.Cases); // record-level damage is a reject inside the stream, not a refusal
        }
    }

    [Fact]
    public void Images_png_and_jpeg()
    {
        byte[] Encoded(SKEncodedImageFormat format)
        {
            using var bitmap = new SKBitmap(24, 16);
            using (var canvas = new SKCanvas(bitmap))
            {
                canvas.Clear(SKColors.Teal);
                using var paint = new SKPaint { Color = SKColors.Orange };
                canvas.DrawCircle(12, 8, 6, paint);
            }
            using var data = bitmap.Encode(format, 90);
            return data.ToArray();
        }
        byte[][] seeds = [Encoded(SKEncodedImageFormat.Png), Encoded(SKEncodedImageFormat.Jpeg), TestImages.PngClaiming(70_000, 70_000)];
        var outcome = RunOnFile("images", "image.bin", seed: 20, cases: 900, seeds, path => ImageDecoder.Decode(path),
            e => e is InvalidDataException or ImageTooLargeException);
        BothOutcomes(outcome);
    }

    [Fact]
    public async Task Parquet_shards_with_a_manifest_that_vouches_for_them()
    {
        string clean = _root.File("clean.parquet");
        var rows = Enumerable.Range(0, 6).Select(i => new ShardRow
        {
            Id = $"r{i}", Source = "jsonl:train.jsonl", Image = i % 2 == 0 ? "a.png" : null, InputIds = [1, 2, 3 + i], Labels = [-100, 2, 3 + i], NumImageTokens = 0, Text = $"text {i}",
        }).ToList();
        await ShardFile.WriteAsync(clean, rows, rowGroupSize: 4);
        var outcome = RunOnFile("shards", EtlRunner.ShardFileName(0), seed: 30, cases: 300, [File.ReadAllBytes(clean)], path =>
        {
            // The manifest vouches for the damaged bytes, so the Parquet reader itself meets them.
            string folder = Path.GetDirectoryName(path)!;
            string hash = ShardFile.HashAsync(path).GetAwaiter().GetResult();
            File.WriteAllText(Path.Combine(folder, EtlManifest.FileName), $$"""{"rows": 6, "shards": [{"file": "{{Path.GetFileName(path)}}", "rows": 6, "sha256": "{{hash}}"}]}""");
            var view = ShardDataView.Open(folder);
            using var cursor = view.GetRowCursor(view.Schema);
            var getters = view.Schema.Select(c => Getter(cursor, c)).ToList();
            while (cursor.MoveNext()) foreach (var get in getters) get();
        }, e => e is InvalidDataException);
        BothOutcomes(outcome);
    }

    [Fact]
    public void Etl_runs_over_mutated_annotations_end_in_a_manifest_or_a_named_refusal_and_write_only_their_output()
    {
        string images = _root.File("images");
        TestImages.Write(Path.Combine(images, "a.png"), 12, 12);
        TestImages.Write(Path.Combine(images, "sub", "b.png"), 12, 12);
        byte[] seed = Encoding.UTF8.GetBytes("[" + string.Join(",\n", Enumerable.Range(0, 6).Select(i =>
            $$"""{"id": "r{{i}}", "image": "{{(i % 2 == 0 ? "a.png" : "sub/b.png")}}", "conversations": [{"from": "human", "value": "<image>\nWhat is it? {{i}}"}, {"from": "gpt", "value": "A shape {{i}}."}]}""")) + "]");
        var outcome = RunOnFile("etl", "llava.json", seed: 50, cases: 120, [seed], path =>
        {
            string folder = Path.GetDirectoryName(path)!;
            var options = new EtlOptions
            {
                Sources = [new EtlSource(SourceFormat.Llava, path, images)], Output = Path.Combine(folder, "out"),
                Template = new Vlm.Transforms.Conversations.ChatTemplateOptions { ImageTokenCount = 4 }, RecordsPerShard = 4, MaxLength = 64,
            };
            try
            {
                new EtlRunner(tokenizers.Qwen, options).RunAsync().GetAwaiter().GetResult();
            }
            finally
            {
                // Nothing but the annotation file and the output folder; the image folder untouched.
                Assert.Equal(["llava.json", "out"], Directory.GetFileSystemEntries(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
                Assert.Equal(["a.png", "sub"], Directory.GetFileSystemEntries(images).Select(Path.GetFileName).Order(StringComparer.Ordinal));
            }
        }, e => e is InvalidDataException);
        Assert.InRange(outcome.Refused, 0, outcome.Cases - 1);
        Assert.All(Directory.GetFileSystemEntries(_root.Path).Select(Path.GetFileName), name => Assert.True(name == "images" || name!.StartsWith("etl-", StringComparison.Ordinal), name));
    }

    static Action Getter(DataViewRowCursor cursor, DataViewSchema.Column column)
    {
        if (column.Type is TextDataViewType)
        {
            var text = cursor.GetGetter<ReadOnlyMemory<char>>(column);
            return () => { ReadOnlyMemory<char> v = default; text(ref v); };
        }
        if (column.Type is VectorDataViewType)
        {
            var vector = cursor.GetGetter<VBuffer<int>>(column);
            return () => { VBuffer<int> v = default; vector(ref v); };
        }
        var number = cursor.GetGetter<int>(column);
        return () => { int v = 0; number(ref v); };
    }
}
