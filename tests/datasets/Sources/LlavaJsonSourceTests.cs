using System.Text;
using Vlm.Datasets.Sources;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Sources;

public class LlavaJsonSourceTests
{
    const string Good = """
        {"id": "000000215677", "image": "000000215677.jpg", "conversations": [
          {"from": "human", "value": "<image>\nWhat is the man doing?"},
          {"from": "gpt", "value": "He is riding a bicycle."},
          {"from": "human", "value": "What colour is it?"},
          {"from": "gpt", "value": "Red."}]}
        """;

    static List<SourceItem<ConversationRecord>> ReadArray(string json)
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("a.json"), json, new UTF8Encoding(false));
        return LlavaJsonSource.Read(temp.File("a.json")).ToList();
    }

    [Fact]
    public void Keeps_every_turn_of_a_multi_turn_record()
    {
        var item = Assert.Single(ReadArray($"[{Good}]"));
        Assert.False(item.IsRejected);
        var record = item.Record!;
        Assert.Equal("000000215677", record.Id);
        Assert.Equal("000000215677.jpg", record.Image);
        Assert.Equal(4, record.Turns.Count);
        Assert.Equal(new Turn(Speaker.Human, "<image>\nWhat is the man doing?"), record.Turns[0]);
        Assert.Equal(new Turn(Speaker.Assistant, "Red."), record.Turns[3]);
    }

    [Fact]
    public void Image_tag_after_the_question_and_text_only_records_are_accepted()
    {
        var items = ReadArray("""
            [{"id": "a", "image": "a.jpg", "conversations": [{"from": "human", "value": "Describe it.\n<image>"}, {"from": "gpt", "value": "A cat."}]},
             {"id": "b", "conversations": [{"from": "human", "value": "What is 2+2?"}, {"from": "gpt", "value": "4"}]}]
            """);
        Assert.All(items, i => Assert.False(i.IsRejected, i.RejectReason));
        Assert.Null(items[1].Record!.Image);
    }

    [Theory]
    [InlineData("""{"id": "x", "image": "x.jpg"}""", "missing conversations")]
    [InlineData("""{"image": "x.jpg", "conversations": []}""", "missing id")]
    [InlineData("""{"id": "x", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "  "}]}""", "empty answer: turn 1")]
    [InlineData("""{"id": "x", "conversations": [{"from": "human", "value": "q"}, {"from": "bot", "value": "a"}]}""", "unknown role: turn 1 is from 'bot'")]
    [InlineData("""{"id": "x", "conversations": [{"from": "gpt", "value": "a"}, {"from": "human", "value": "q"}]}""", "turns do not alternate human, gpt: turn 0 is from 'gpt'")]
    [InlineData("""{"id": "x", "conversations": [{"from": "human", "value": "<image> q"}, {"from": "gpt", "value": "a"}]}""", "more <image> tags than images: 1 tags, 0 images")]
    [InlineData("""{"id": "x", "image": "x.jpg", "conversations": [{"from": "human", "value": "<image><image> q"}, {"from": "gpt", "value": "a"}]}""", "more <image> tags than images: 2 tags, 1 image")]
    [InlineData("""{"id": "x", "conversations": [{"from": "human", "value": "q"}]}""", "the last turn is not an answer")]
    [InlineData("""[1, 2]""", "record is not a JSON object")]
    public void A_bad_record_is_rejected_with_its_reason_and_the_rest_goes_on(string bad, string reason)
    {
        var items = ReadArray($"[{Good}, {bad}, {Good}]");
        Assert.Equal(3, items.Count);
        Assert.False(items[0].IsRejected);
        Assert.Equal(reason, items[1].RejectReason);
        Assert.Equal(1, items[1].Index);
        Assert.False(items[2].IsRejected);
    }

    [Fact]
    public void Invalid_utf8_inside_a_record_rejects_only_that_record()
    {
        using var temp = new TempFolder();
        var bytes = new List<byte>();
        bytes.AddRange(Encoding.UTF8.GetBytes($"[{Good},"));
        bytes.AddRange(Encoding.UTF8.GetBytes("""{"id": "bad", "conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"""));
        bytes.Add(0xFF);
        bytes.AddRange(Encoding.UTF8.GetBytes($"\"}}]}}, {Good}]"));
        File.WriteAllBytes(temp.File("a.json"), bytes.ToArray());
        var items = LlavaJsonSource.Read(temp.File("a.json")).ToList();
        Assert.Equal(3, items.Count);
        Assert.Equal("invalid UTF-8", items[1].RejectReason);
        Assert.False(items[2].IsRejected);
    }

    [Fact]
    public void A_malformed_record_is_rejected_with_its_byte_position_and_the_rest_goes_on()
    {
        string bad = """{"id": "x", "conversations": [1 2]}""";
        var items = ReadArray($"[{Good},{bad},{Good}]");
        Assert.Equal(3, items.Count);
        Assert.StartsWith($"malformed JSON: in the record at byte {Good.Length + 2} ", items[1].RejectReason);
        Assert.False(items[2].IsRejected);
    }

    [Fact]
    public void A_truncated_file_yields_the_good_records_then_names_the_byte_position()
    {
        using var temp = new TempFolder();
        string text = $"[{Good}, {Good}";
        File.WriteAllText(temp.File("a.json"), text[..^10]);
        var seen = new List<SourceItem<ConversationRecord>>();
        var e = Assert.Throws<InvalidDataException>(() => { foreach (var item in LlavaJsonSource.Read(temp.File("a.json"))) seen.Add(item); });
        Assert.Single(seen);
        Assert.Contains($"{temp.File("a.json")}: byte ", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Garbage_between_records_names_the_byte_position()
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadArray($"[{Good} x {Good}]"));
        Assert.Contains($"byte {Good.Length + 2}: expected ',' or ']' after element 0", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_an_array_is_reported()
    {
        var e = Assert.Throws<InvalidDataException>(() => ReadArray("{\"id\": 1}"));
        Assert.Contains("byte 0: expected '[' to start a JSON array", e.Message);
    }

    [Fact]
    public void An_empty_array_has_no_records() => Assert.Empty(ReadArray(" [ ] "));

    [Fact]
    public void Brackets_and_quotes_inside_strings_do_not_break_the_framing()
    {
        var items = ReadArray("""
            [{"id": "q\"]}", "conversations": [{"from": "human", "value": "a ] } [ { \\\" ,"}, {"from": "gpt", "value": "ok"}]}]
            """);
        var item = Assert.Single(items);
        Assert.Equal("q\"]}", item.Id);
        Assert.Equal("a ] } [ { \\\" ,", item.Record!.Turns[0].Text);
    }

    [Fact]
    public void Large_files_stream_with_memory_bounded_by_one_record()
    {
        using var temp = new TempFolder();
        string path = temp.File("big.json");
        using (var writer = new StreamWriter(path))
        {
            writer.Write('[');
            for (int i = 0; i < 20_000; i++) writer.Write((i == 0 ? "" : ",") + Good.Replace("000000215677\"", $"{i}\""));
            writer.Write(']');
        }
        long count = 0;
        foreach (var item in LlavaJsonSource.Read(path))
        {
            Assert.False(item.IsRejected);
            count++;
        }
        Assert.Equal(20_000, count);
    }
}
