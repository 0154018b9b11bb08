using System.Text.Json;
using Microsoft.ML;
using Vlm.Datasets.Tokenizers;
using Vlm.Transforms;
using Vlm.Datasets.Shards;
using Vlm.Tests.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Tests.Transforms.Etl;

[Collection(TokenizerCollection.Name)]
public class EtlRunnerTests(TokenizerFixture tokenizers) : IDisposable
{
    readonly TempFolder _data = new();

    public void Dispose() => _data.Dispose();

    /// <summary>A LLaVA file of 25 records (every fifth one bad in its own way) and an AI Challenger file of 6.</summary>
    IReadOnlyList<EtlSource> Sources()
    {
        string images = Path.Combine(_data.Path, "images");
        for (int i = 0; i < 6; i++) TestImages.Write(Path.Combine(images, $"{i}.png"), 8 + i, 8);
        File.WriteAllText(Path.Combine(images, "broken.png"), "not an image");
        var llava = Enumerable.Range(0, 25).Select(i => (i % 5) switch
        {
            1 => $$"""{"id": "l{{i}}", "image": "missing.png", "conversations": [{"from": "human", "value": "<image>q"}, {"from": "gpt", "value": "a"}]}""",
            2 => $$"""{"id": "l{{i}}", "conversations": [{"from": "human", "value": "q"}, {"from": "bot", "value": "a"}]}""",
            3 => $$"""{"id": "l{{i}}", "image": "broken.png", "conversations": [{"from": "human", "value": "<image>q"}, {"from": "gpt", "value": "a"}]}""",
            _ => $$"""{"id": "l{{i}}", "image": "{{i % 6}}.png", "conversations": [{"from": "human", "value": "<image>\nWhat shape is it? {{i}}"}, {"from": "gpt", "value": "A red circle {{i}}."}, {"from": "human", "value": "Colour?"}, {"from": "gpt", "value": "Red."}]}""",
        });
        File.WriteAllText(_data.File("detail.json"), "[" + string.Join(",\n", llava) + "]");
        var captions = Enumerable.Range(0, 6).Select(i => $$"""{"url": "u", "image_id": "{{i}}.png", "caption": ["红色的圆{{i}}", "一个圆"]}""");
        File.WriteAllText(_data.File("captions.json"), "[" + string.Join(",", captions) + "]");
        return [new(SourceFormat.Llava, _data.File("detail.json"), images), new(SourceFormat.AiChallenger, _data.File("captions.json"), images)];
    }

    EtlOptions Options(string output, IReadOnlyList<EtlSource> sources) => new()
    {
        Sources = sources,
        Output = output,
        Template = new ChatTemplateOptions { ImageTokenCount = 16 },
        RecordsPerShard = 8,
    };

    Task<EtlResult> Run(EtlOptions options, IProgress<long>? progress = null, CancellationToken cancellation = default) =>
        new EtlRunner(tokenizers.Qwen, options).RunAsync(progress, cancellation);

    static Dictionary<string, string> Hashes(string folder) =>
        Directory.GetFiles(folder, "shard-*.parquet").ToDictionary(f => Path.GetFileName(f), f => ShardFile.HashAsync(f).Result);

    [Fact]
    public async Task Writes_shards_manifest_and_rejects_that_agree()
    {
        using var output = new TempFolder();
        var result = await Run(Options(output.Path, Sources()));
        var manifest = result.Manifest!;
        Assert.Equal(31, manifest.Records);
        Assert.Equal(16, manifest.Rows); // 10 good LLaVA records (i % 5 is 0 or 4) + 6 captions
        Assert.Equal(15, manifest.Rejected);
        Assert.Equal(15, File.ReadAllLines(Path.Combine(output.Path, EtlManifest.RejectsFileName)).Length);
        Assert.Equal(5, manifest.RejectReasons["image file not found"]);
        Assert.Equal(5, manifest.RejectReasons["image does not decode"]);
        Assert.Equal(4, manifest.Shards.Count); // 31 records in ranges of 8
        Assert.Equal(manifest.Rows, manifest.Shards.Sum(s => s.Rows));
        Assert.Equal(6, manifest.Sources["aichallenger:captions.json"].Rows);

        var rows = manifest.Shards.SelectMany(s => ShardFile.ReadAsync(Path.Combine(output.Path, s.File)).Result).ToList();
        Assert.Equal(16, rows.Count);
        var first = rows[0];
        Assert.Equal("l0", first.Id);
        Assert.Equal("0.png", first.Image);
        Assert.Equal(16, first.NumImageTokens);
        Assert.Equal(16, first.InputIds.Count(id => id == manifest.ImageTokenId));
        Assert.Equal(first.InputIds.Count, first.Labels.Count);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output.Path, EtlManifest.FileName)));
        Assert.Equal(JsonValueKind.Number, doc.RootElement.GetProperty("rows").ValueKind);
        Assert.Equal(JsonValueKind.Number, doc.RootElement.GetProperty("rejected").ValueKind);
        Assert.Equal(tokenizers.Qwen.Fingerprint, doc.RootElement.GetProperty("tokenizer_sha256").GetString());
    }

    [Fact]
    public async Task The_progress_total_counts_every_record_the_run_reads()
    {
        using var output = new TempFolder();
        var sources = Sources();
        File.WriteAllText(_data.File("more.jsonl"), "\uFEFF{\"id\": \"j\"}\n\n   \nnot json\n");
        sources = [.. sources, new(SourceFormat.Jsonl, _data.File("more.jsonl"), sources[0].Images)];
        var result = await Run(Options(output.Path, sources));
        Assert.Equal(33, EtlRunner.CountRecords(sources));
        Assert.Equal(result.Manifest!.Records, EtlRunner.CountRecords(sources));
    }

    [Fact]
    public void A_file_with_broken_framing_has_no_progress_total()
    {
        File.WriteAllText(_data.File("cut.json"), """[{"id": "a"}, {"id": """);
        Assert.Null(EtlRunner.CountRecords([new(SourceFormat.Llava, _data.File("cut.json"), _data.Path)]));
    }

    [Fact]
    public async Task Two_runs_give_the_same_shard_hashes_and_a_rerun_skips_every_shard()
    {
        var sources = Sources();
        using var a = new TempFolder();
        using var b = new TempFolder();
        await Run(Options(a.Path, sources));
        await Run(Options(b.Path, sources));
        Assert.Equal(Hashes(a.Path), Hashes(b.Path));
        var again = await Run(Options(a.Path, sources));
        Assert.Equal(0, again.ShardsWritten);
        Assert.Equal(4, again.ShardsSkipped);
    }

    [Fact]
    public async Task A_run_killed_midway_resumes_to_the_same_output()
    {
        var sources = Sources();
        using var whole = new TempFolder();
        await Run(Options(whole.Path, sources));

        using var resumed = new TempFolder();
        using var kill = new CancellationTokenSource();
        var progress = new SyncProgress(p => { if (p == 20) kill.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Run(Options(resumed.Path, sources), progress, kill.Token));
        Assert.False(File.Exists(Path.Combine(resumed.Path, EtlManifest.FileName)));
        Assert.Empty(Directory.GetFiles(resumed.Path, "*.tmp", SearchOption.AllDirectories));

        var result = await Run(Options(resumed.Path, sources));
        Assert.Equal(2, result.ShardsSkipped);
        Assert.Equal(Hashes(whole.Path), Hashes(resumed.Path));
        Assert.Equal(File.ReadAllText(Path.Combine(whole.Path, EtlManifest.RejectsFileName)), File.ReadAllText(Path.Combine(resumed.Path, EtlManifest.RejectsFileName)));
    }

    [Fact]
    public async Task A_job_array_of_three_writes_the_same_shards_as_one_process()
    {
        var sources = Sources();
        using var single = new TempFolder();
        var one = (await Run(Options(single.Path, sources))).Manifest!;
        using var array = new TempFolder();
        EtlManifest? last = null;
        for (int i = 0; i < 3; i++)
        {
            var result = await Run(Options(array.Path, sources) with { ShardCount = 3, ShardIndex = i });
            // the manifest appears only once the last missing shard is written
            if (i < 2) Assert.Null(result.Manifest);
            else Assert.NotNull(result.Manifest);
            last = result.Manifest;
        }
        Assert.Equal(Hashes(single.Path), Hashes(array.Path));
        Assert.Equal(one.Rows, last!.Rows);
        Assert.Equal(File.ReadAllText(Path.Combine(single.Path, EtlManifest.FileName)), File.ReadAllText(Path.Combine(array.Path, EtlManifest.FileName)).Replace(array.Path, single.Path));
    }

    [Fact]
    public async Task Length_policy_drops_or_truncates_and_counts()
    {
        var sources = Sources();
        using var dropped = new TempFolder();
        var drop = (await Run(Options(dropped.Path, sources) with { MaxLength = 60 })).Manifest!;
        Assert.True(drop.RejectReasons["too long"] > 0);
        using var truncated = new TempFolder();
        var cut = (await Run(Options(truncated.Path, sources) with { MaxLength = 60, LengthPolicy = LengthPolicy.Truncate })).Manifest!;
        Assert.True(cut.Truncated > 0);
        var rows = cut.Shards.SelectMany(s => ShardFile.ReadAsync(Path.Combine(truncated.Path, s.File)).Result);
        Assert.All(rows, r => Assert.True(r.InputIds.Count <= 60));
    }

    [Fact]
    public async Task A_truncated_file_fails_the_run_naming_file_and_byte_and_nothing_is_marked_complete()
    {
        var sources = Sources();
        string text = File.ReadAllText(sources[0].Annotations);
        File.WriteAllText(sources[0].Annotations, text[..(text.Length / 2)]);
        using var output = new TempFolder();
        var e = await Assert.ThrowsAsync<InvalidDataException>(() => Run(Options(output.Path, sources) with { RecordsPerShard = 100 }));
        Assert.Contains($"{sources[0].Annotations}: byte ", e.Message);
        Assert.Contains("--allow_partial", e.Message);
        Assert.Empty(Directory.GetFiles(output.Path));
    }

    [Fact]
    public async Task Allowed_partial_a_truncated_file_becomes_a_reject_with_its_byte_position_and_the_next_source_goes_on()
    {
        var sources = Sources();
        string text = File.ReadAllText(sources[0].Annotations);
        File.WriteAllText(sources[0].Annotations, text[..(text.Length / 2)]);
        using var output = new TempFolder();
        var manifest = (await Run(Options(output.Path, sources) with { AllowPartial = true })).Manifest!;
        var reject = File.ReadAllLines(Path.Combine(output.Path, EtlManifest.RejectsFileName)).Last(l => l.Contains("malformed JSON"));
        Assert.Contains("byte ", reject);
        Assert.Contains("truncated", reject);
        Assert.Equal(1, manifest.RejectReasons["malformed JSON"]);
        Assert.Equal(6, manifest.Sources["aichallenger:captions.json"].Rows);
    }

    [Fact]
    public async Task A_rerun_over_output_made_from_other_inputs_refuses_saying_what_changed_and_overwrite_redoes_it()
    {
        var sources = Sources();
        using var output = new TempFolder();
        var first = (await Run(Options(output.Path, sources))).Manifest!;
        Assert.Equal(31, first.Records);

        // Fewer records in the file (and other answers): no old shard may count as done.
        var lines = File.ReadAllText(sources[0].Annotations).TrimStart('[').TrimEnd(']').Split(",\n");
        File.WriteAllText(sources[0].Annotations, "[" + string.Join(",\n", lines.Take(10)) + "]");
        var conflict = await Assert.ThrowsAsync<EtlOutputConflictException>(() => Run(Options(output.Path, sources)));
        Assert.Contains("llava:detail.json's annotations changed", conflict.Message);
        Assert.Contains("--overwrite", conflict.Message);
        Assert.Equal(first.Records, JsonSerializer.Deserialize<EtlManifest>(File.ReadAllBytes(Path.Combine(output.Path, EtlManifest.FileName)), EtlRunner.Json)!.Records); // nothing touched

        var seed = await Assert.ThrowsAsync<EtlOutputConflictException>(() => Run(Options(output.Path, sources) with { Seed = 7, Overwrite = false }));
        Assert.Contains("seed 42 -> 7", seed.Message);

        var redone = await Run(Options(output.Path, sources) with { Overwrite = true });
        Assert.Equal(0, redone.ShardsSkipped);
        Assert.Equal(16, redone.Manifest!.Records);
        Assert.Equal(redone.Manifest.Rows, redone.Manifest.Shards.Sum(s => s.Rows));
        // Only this run's files are left: 16 records at 8 a shard are shards 0 and 1.
        Assert.Equal(["shard-00000.json", "shard-00000.parquet", "shard-00001.json", "shard-00001.parquet"],
            Directory.GetFiles(output.Path, "shard-*").Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using var fresh = new TempFolder();
        var clean = (await Run(Options(fresh.Path, sources))).Manifest!;
        Assert.Equal(Hashes(fresh.Path), Hashes(output.Path));
        Assert.Equal(clean.Rows, redone.Manifest.Rows);

        // The same inputs again: every shard is done.
        Assert.Equal(2, (await Run(Options(output.Path, sources))).ShardsSkipped);
    }

    [Fact]
    public async Task Reject_reasons_group_by_kind_whatever_the_record_says()
    {
        string images = Path.Combine(_data.Path, "images");
        TestImages.Write(Path.Combine(images, "0.png"), 8, 8);
        string Turns(params (string From, string Value)[] turns) => string.Join(", ", turns.Select(t => $$"""{"from": "{{t.From}}", "value": "{{t.Value}}"}"""));
        string[] records =
        [
            Turns(("human", "q"), ("bot", "a")), Turns(("human", "q"), ("gpt", "a"), ("human", "q"), ("robot", "a")),
            Turns(("gpt", "a"), ("human", "q")), Turns(("human", "q"), ("gpt", "a"), ("gpt", "b"), ("human", "q")),
            Turns(("human", "q"), ("gpt", " ")), Turns(("human", "q"), ("gpt", "a"), ("human", "q"), ("gpt", "")),
            Turns(("human", "<image><image>q"), ("gpt", "a")), Turns(("human", "<image>q"), ("gpt", "a"), ("human", "<image>q"), ("gpt", "b")),
            Turns(("human", "q"), ("gpt", "<image>")), Turns(("human", "q"), ("gpt", "a"), ("human", "q"), ("gpt", "see <image>")),
        ];
        File.WriteAllText(_data.File("mixed.json"), "[" + string.Join(",\n", records.Select((t, i) => $$"""{"id": "m{{i}}", "image": "0.png", "conversations": [{{t}}]}""")) + "]");
        using var output = new TempFolder();
        var manifest = (await Run(Options(output.Path, [new EtlSource(SourceFormat.Llava, _data.File("mixed.json"), images)]))).Manifest!;
        Assert.Equal(new Dictionary<string, long>
        {
            ["an answer holds <image>"] = 2, ["empty answer"] = 2, ["more <image> tags than images"] = 2,
            ["turns do not alternate human, gpt"] = 2, ["unknown role"] = 2,
        }, manifest.RejectReasons);
    }

    [Fact]
    public async Task Repeated_ids_across_shards_are_counted_in_the_manifest_with_examples()
    {
        string images = Path.Combine(_data.Path, "images");
        TestImages.Write(Path.Combine(images, "0.png"), 8, 8);
        var records = Enumerable.Range(0, 20).Select(i => $$"""{"id": "d{{i % 7}}", "image": "0.png", "conversations": [{"from": "human", "value": "<image>q{{i}}"}, {"from": "gpt", "value": "a{{i}}"}]}""");
        File.WriteAllText(_data.File("dups.json"), "[" + string.Join(",\n", records) + "]");
        using var output = new TempFolder();
        var manifest = (await Run(Options(output.Path, [new EtlSource(SourceFormat.Llava, _data.File("dups.json"), images)]))).Manifest!;
        Assert.Equal(20, manifest.Rows);
        Assert.Equal(13, manifest.DuplicateIds);
        Assert.Equal(["d0", "d1", "d2", "d3", "d4"], manifest.DuplicateIdExamples);
        Assert.Equal(0, (await Run(Options(output.Path, Sources().Take(1).ToList()) with { Overwrite = true })).Manifest!.DuplicateIds);

        // Rejected instead: the first of each id stays; a run resumed after its last shard was lost rejects the same rows.
        using var rejecting = new TempFolder();
        var options = Options(rejecting.Path, [new EtlSource(SourceFormat.Llava, _data.File("dups.json"), images)]) with { DuplicateIds = DuplicateIds.Reject };
        var strict = (await Run(options)).Manifest!;
        Assert.Equal((7, 13, 0L), (strict.Rows, strict.RejectReasons["duplicate id"], strict.DuplicateIds));
        var hashes = Hashes(rejecting.Path);
        foreach (var name in new[] { "shard-00002.json", "shard-00002.parquet", EtlManifest.FileName }) File.Delete(Path.Combine(rejecting.Path, name));
        var resumed = await Run(options);
        Assert.Equal((2, 1), (resumed.ShardsSkipped, resumed.ShardsWritten));
        Assert.Equal(hashes, Hashes(rejecting.Path));
        Assert.Equal((7L, 13L), (resumed.Manifest!.Rows, resumed.Manifest.RejectReasons["duplicate id"])); // the lost shard's rows are duplicates of the kept shards' ids
        Assert.Throws<ArgumentException>(() => (options with { ShardCount = 2 }).Validate());
    }

    [Fact]
    public async Task A_bad_config_stops_before_anything_is_written()
    {
        using var output = new TempFolder();
        var options = Options(Path.Combine(output.Path, "out"), [new EtlSource(SourceFormat.Llava, _data.File("none.json"), _data.Path)]);
        await Assert.ThrowsAsync<FileNotFoundException>(() => Run(options));
        Assert.False(Directory.Exists(Path.Combine(output.Path, "out")));
    }

    /// <summary>The catalog's ETL chain over <paramref name="source"/>, as a user builds it.</summary>
    static IDataView CatalogChain(MLContext ml, ITextTokenizer tokenizer, EtlSource source, ChatTemplateOptions template, int maxLength, LengthPolicy policy = LengthPolicy.Drop)
    {
        var records = ml.Data.LoadConversations(source, seed: 5);
        var tokenize = ml.Transforms.TokenizeConversations(tokenizer, template);
        var steps = ml.Transforms.CheckImages(source.Images).Append(tokenize)
            .Append(ml.Transforms.ApplyLengthPolicy(maxLength, policy, tokenize.Fit(records).ImageTokenId));
        return steps.Fit(records).Transform(records);
    }

    static SortedDictionary<string, string> AllFiles(string folder) =>
        new(Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f)))));

    [Fact]
    public async Task SaveAsShards_of_the_catalog_chain_writes_what_the_runner_writes_for_the_same_settings()
    {
        var source = Sources()[0];
        var template = new ChatTemplateOptions { ImageTokenCount = 16 };
        var ml = new MLContext(1);
        using var saved = new TempFolder();
        using var ran = new TempFolder();
        var manifest = ml.Data.SaveAsShards(CatalogChain(ml, tokenizers.Qwen, source, template, 2048), saved.Path, recordsPerShard: 8);
        await Run(Options(ran.Path, [source]) with { Seed = 5, MaxLength = 2048 });

        // Shards, reports, rejects and manifest (but for the output folder it names): the same bytes, so LoadShards, the trainer and reruns treat them alike.
        string manifestText = File.ReadAllText(Path.Combine(saved.Path, EtlManifest.FileName));
        Assert.Equal(File.ReadAllText(Path.Combine(ran.Path, EtlManifest.FileName)).Replace(JsonSerializer.Serialize(ran.Path), JsonSerializer.Serialize(saved.Path)), manifestText);
        var (expected, actual) = (AllFiles(ran.Path), AllFiles(saved.Path));
        Assert.True(expected.Remove(EtlManifest.FileName) && actual.Remove(EtlManifest.FileName));
        Assert.Equal(expected, actual);
        Assert.Equal((10L, 15L, 4), (manifest.Rows, manifest.Rejected, manifest.Shards.Count));
        var shards = Vlm.Transforms.Shards.ShardDataView.Open(saved.Path);
        Assert.Equal(template with { Format = ChatFormat.Qwen }, shards.Manifest.Config!.Template);
        Assert.Equal(10L, shards.GetRowCount());

        // Saved again: finished shards are kept, nothing changes.
        var hashes = AllFiles(saved.Path);
        ml.Data.SaveAsShards(CatalogChain(ml, tokenizers.Qwen, source, template, 2048), saved.Path, recordsPerShard: 8);
        Assert.Equal(hashes, AllFiles(saved.Path));
        // Other settings over the same folder are refused, saying what changed.
        var conflict = Assert.Throws<EtlOutputConflictException>(() => ml.Data.SaveAsShards(CatalogChain(ml, tokenizers.Qwen, source, template, 1024), saved.Path, recordsPerShard: 8));
        Assert.Contains("max_length 2048 -> 1024", conflict.Message);

        // Cut instead of dropped: the same ids and labels as the runner's (its text column stops shortly after the cut).
        using var cut = new TempFolder();
        var truncated = ml.Data.SaveAsShards(CatalogChain(ml, tokenizers.Qwen, source, template, 60, LengthPolicy.Truncate), cut.Path, recordsPerShard: 8);
        Assert.Equal((10L, 10L), (truncated.Rows, truncated.Truncated));
    }

    [Fact]
    public void SaveAsShards_refuses_a_view_it_cannot_trace_to_the_etl_chain_and_writes_nothing()
    {
        var source = Sources()[0];
        var ml = new MLContext(1);
        var records = ml.Data.LoadConversations(source);
        var tokenize = ml.Transforms.TokenizeConversations(tokenizers.Qwen, new ChatTemplateOptions { ImageTokenCount = 16 });
        using var output = new TempFolder();
        string folder = Path.Combine(output.Path, "shards");

        // No length policy: the manifest could not say what max_length the rows obey.
        var noLength = ml.Transforms.CheckImages(source.Images).Append(tokenize).Fit(records).Transform(records);
        var e = Assert.Throws<ArgumentException>(() => ml.Data.SaveAsShards(noLength, folder));
        Assert.Contains("the last step should be LengthPolicy, but is ConversationTokenizerTransformer", e.Message);
        // An ML.NET filter in between hides how the rows were made.
        var checkedImages = ml.Transforms.CheckImages(source.Images).Fit(records).Transform(records);
        var filtered = ml.Data.TakeRows(checkedImages, 5);
        var steps = tokenize.Append(ml.Transforms.ApplyLengthPolicy(64, LengthPolicy.Drop, tokenize.Fit(filtered).ImageTokenId));
        e = Assert.Throws<ArgumentException>(() => ml.Data.SaveAsShards(steps.Fit(filtered).Transform(filtered), folder));
        Assert.Contains("before TokenizeConversations should be ImageCheck", e.Message);
        // A length policy told another image id would cut other rows than vlm prepare.
        int imageId = tokenize.Fit(records).ImageTokenId;
        var otherId = ml.Transforms.CheckImages(source.Images).Append(tokenize).Append(ml.Transforms.ApplyLengthPolicy(64, LengthPolicy.Drop, imageId + 1));
        e = Assert.Throws<ArgumentException>(() => ml.Data.SaveAsShards(otherId.Fit(records).Transform(records), folder));
        Assert.Contains($"ApplyLengthPolicy was given image token id {imageId + 1}, but TokenizeConversations marks images with {imageId}", e.Message);
        Assert.False(Directory.Exists(folder));
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    sealed class SyncProgress(Action<long> report) : IProgress<long>
    {
        public void Report(long value) => report(value);
    }
}
