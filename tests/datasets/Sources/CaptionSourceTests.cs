using Vlm.Datasets.Sources;
using Vlm.Tests.TestSupport;

namespace Vlm.Tests.Datasets.Sources;

public class CaptionSourceTests
{
    [Fact]
    public void Ai_challenger_records_keep_their_captions_and_bad_ones_are_rejected()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("caption_train.json"), """
            [{"url": "http://example/a.jpg", "image_id": "8f00f3d0f1008e085ab660e70dffced16a8259f6.jpg",
              "caption": ["一个男人在街上骑自行车。", "  ", "街道上有一个骑车的人\n"]},
             {"url": "http://example/b.jpg", "caption": ["无图"]},
             {"url": "http://example/c.jpg", "image_id": "c.jpg", "caption": ["", " "]}]
            """);
        var items = AiChallengerSource.Read(temp.File("caption_train.json")).ToList();
        Assert.Equal(3, items.Count);
        var record = items[0].Record!;
        Assert.Equal("8f00f3d0f1008e085ab660e70dffced16a8259f6.jpg", record.Image);
        Assert.Equal(new[] { "一个男人在街上骑自行车。", "街道上有一个骑车的人" }, record.Captions);
        Assert.Equal("missing image_id", items[1].RejectReason);
        Assert.Equal("no non-empty caption", items[2].RejectReason);
        Assert.Equal("c.jpg", items[2].Id);
    }

    [Fact]
    public void Coco_captions_resolve_images_and_skip_other_top_level_properties()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("captions_train2017.json"), """
            {"info": {"description": "COCO 2017", "nested": [1, {"a": "]}"}]},
             "licenses": [{"id": 1, "name": "x"}],
             "images": [{"id": 215677, "file_name": "000000215677.jpg", "height": 480}, {"id": 9, "file_name": "000000000009.jpg"}],
             "annotations": [
               {"image_id": 215677, "id": 1, "caption": "A man riding a bike. "},
               {"image_id": 9, "id": 2, "caption": ""},
               {"image_id": 77, "id": 3, "caption": "Lost image."},
               {"image_id": 9, "id": 4, "caption": "Food on a plate."}]}
            """);
        var items = CocoCaptionsSource.Read(temp.File("captions_train2017.json")).ToList();
        Assert.Equal(4, items.Count);
        Assert.Equal(new CaptionRecord("1", "000000215677.jpg", ["A man riding a bike."]).Captions, items[0].Record!.Captions);
        Assert.Equal("000000215677.jpg", items[0].Record!.Image);
        Assert.Equal("empty caption", items[1].RejectReason);
        Assert.Equal("image_id not in \"images\": 77", items[2].RejectReason);
        Assert.Equal("000000000009.jpg", items[3].Record!.Image);
    }

    [Fact]
    public void A_coco_file_without_annotations_is_reported()
    {
        using var temp = new TempFolder();
        File.WriteAllText(temp.File("c.json"), """{"images": []}""");
        var e = Assert.Throws<InvalidDataException>(() => CocoCaptionsSource.Read(temp.File("c.json")).ToList());
        Assert.Contains("the file has no \"annotations\" array", e.Message);
    }
}
