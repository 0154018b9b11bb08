using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Datasets.Shards;
using Vlm.Tests.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;
using Vlm.Transforms.Shards;

namespace Vlm.Tests.Transforms.Shards;

[Collection(TokenizerCollection.Name)]
public class ShardDataViewTests(TokenizerFixture tokenizers)
{
    static async Task<string> Prepare(TempFolder data, TokenizerFixture tokenizers, int records)
    {
        TestImages.Write(data.File("a.png"), 10, 10);
        File.WriteAllLines(data.File("train.jsonl"), Enumerable.Range(0, records).Select(i =>
            $$"""{"id": "r{{i}}", "image": "a.png", "conversations": [{"from": "human", "value": "<image>\nQ{{i}}"}, {"from": "gpt", "value": "Answer {{i}}."}]}"""));
        string output = data.File("out");
        await new EtlRunner(tokenizers.Qwen, new EtlOptions
        {
            Sources = [new EtlSource(SourceFormat.Jsonl, data.File("train.jsonl"), data.Path)],
            Output = output,
            Template = new ChatTemplateOptions { ImageTokenCount = 4 },
            RecordsPerShard = 7,
        }).RunAsync();
        return output;
    }

    sealed class Row
    {
        [ColumnName("id")] public string Id { get; set; } = "";
        [ColumnName("input_ids")] public int[] InputIds { get; set; } = [];
        [ColumnName("labels")] public int[] Labels { get; set; } = [];
        [ColumnName("num_image_tokens")] public int NumImageTokens { get; set; }
    }

    [Fact]
    public async Task Reads_every_row_of_every_shard_with_typed_columns()
    {
        using var data = new TempFolder();
        string output = await Prepare(data, tokenizers, 20);
        var view = ShardDataView.Open(output);
        Assert.Equal(20, view.GetRowCount());
        var ml = new MLContext(seed: 1);
        var rows = ml.Data.CreateEnumerable<Row>(view, reuseRowObject: false).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"r{i}"), rows.Select(r => r.Id));
        var expected = (await ShardFile.ReadAsync(Path.Combine(output, EtlRunner.ShardFileName(0))))[3];
        Assert.Equal(expected.InputIds, rows[3].InputIds);
        Assert.Equal(expected.Labels, rows[3].Labels);
        Assert.Equal(4, rows[3].NumImageTokens);
    }

    [Fact]
    public async Task Ml_net_data_operations_compose_on_it()
    {
        using var data = new TempFolder();
        string output = await Prepare(data, tokenizers, 20);
        var ml = new MLContext(seed: 1);
        var filtered = ml.Data.TakeRows(ml.Data.SkipRows(ShardDataView.Open(output), 5), 3);
        var ids = filtered.GetColumn<ReadOnlyMemory<char>>("id").Select(m => m.ToString());
        Assert.Equal(new[] { "r5", "r6", "r7" }, ids);
    }

    [Fact]
    public void A_folder_without_manifest_is_reported()
    {
        using var data = new TempFolder();
        var e = Assert.Throws<FileNotFoundException>(() => ShardDataView.Open(data.Path));
        Assert.Contains("no manifest.json", e.Message);
    }

    [Fact]
    public async Task A_shard_changed_after_the_etl_wrote_it_is_refused_by_name_before_its_rows_are_read()
    {
        using var data = new TempFolder();
        string output = await Prepare(data, tokenizers, 20);
        string shard = Path.Combine(output, EtlRunner.ShardFileName(1));
        var bytes = File.ReadAllBytes(shard);
        bytes[bytes.Length / 2] ^= 0x10;
        File.WriteAllBytes(shard, bytes);
        var ml = new MLContext(seed: 1);
        var e = Assert.Throws<InvalidDataException>(() => ml.Data.CreateEnumerable<Row>(ShardDataView.Open(output), reuseRowObject: false).ToList());
        Assert.Contains($"{shard}: its sha256 is", e.Message);
        Assert.Contains("not the manifest's", e.Message);
    }
}
