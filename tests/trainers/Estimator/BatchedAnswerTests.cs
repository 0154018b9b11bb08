using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Datasets.Synthetic;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary>Answers generated in batches (left-padded prompts, one tower pass) are the answers generated one at a time.</summary>
[Collection(TorchRandomCollection.Name)]
public sealed class BatchedAnswerTests : IDisposable
{
    readonly TempFolder _root = new();
    readonly MLContext _ml = new(seed: 1);
    readonly VlmTransformer _model;
    readonly List<Row> _rows;

    public BatchedAnswerTests()
    {
        _model = _ml.Vlm().LoadFolder(TestModels.WriteModelFolder(_root.Path));
        _model.Generation = new GenerationOptions { MaxNewTokens = 10 };
        string[] shapes = ["circle", "square", "triangle"];
        _rows = [.. Enumerable.Range(0, 7).Select(i =>
        {
            string image = _root.File($"scene{i}.png");
            File.WriteAllBytes(image, new ShapeScene(shapes[i % 3], i % 2 == 0 ? "red" : "blue", "large", "center").ToPng(16));
            return new Row
            {
                Id = $"q{i}",
                Image = i == 3 ? "" : image, // one question without an image
                Prompt = i % 2 == 0 ? "What shape?" : "Describe the picture in a few words, please, with its colour.",
                History = i == 5 ? ["Hello.", "Hi."] : [],
            };
        })];
    }

    public void Dispose()
    {
        _model.Dispose();
        _root.Dispose();
    }

    sealed class Row
    {
        [ColumnName("id")] public string Id { get; set; } = "";
        [ColumnName("image")] public string Image { get; set; } = "";
        [ColumnName("prompt")] public string Prompt { get; set; } = "";
        [ColumnName("history")] public string[] History { get; set; } = [];
    }

    sealed class Answered
    {
        [ColumnName("id")] public string Id { get; set; } = "";
        [ColumnName("answer")] public string Answer { get; set; } = "";
    }

    VlmInput Input(Row row) => new() { Image = row.Image, Prompt = row.Prompt, History = row.History };

    [Fact]
    public void A_batch_of_mixed_questions_gets_each_ones_own_answer()
    {
        var one = _rows.Select(r => _model.Answer(Input(r))).ToList();
        var inputs = _rows.Select(Input).ToList();
        inputs[1] = new VlmInput { ImageBytes = File.ReadAllBytes(_rows[1].Image), Prompt = _rows[1].Prompt }; // bytes instead of a path
        Assert.Equal(one, _model.Predictor.Answers(inputs));
        Assert.True(one.Distinct().Count() > 1, "the model gives every question the same answer: the comparison would prove little");
    }

    [Fact]
    public void Transform_answers_in_batches_and_passes_other_columns_through_in_order()
    {
        var data = _ml.Data.LoadFromEnumerable(_rows);
        _model.BatchSize = 1;
        var oneByOne = _ml.Data.CreateEnumerable<Answered>(_model.Transform(data), reuseRowObject: false).ToList();
        _model.BatchSize = 3; // 7 rows: batches of 3, 3 and 1
        var batched = _ml.Data.CreateEnumerable<Answered>(_model.Transform(data), reuseRowObject: false).ToList();
        Assert.Equal(_rows.Select(r => r.Id), batched.Select(a => a.Id));
        Assert.Equal(oneByOne.Select(a => a.Answer), batched.Select(a => a.Answer));
        Assert.Equal(_model.GetOutputSchema(data.Schema)["answer"].Type, _model.Transform(data).Schema["answer"].Type);
    }

    [Fact]
    public void Rows_whose_answer_is_not_read_are_skipped_not_misaligned()
    {
        _model.BatchSize = 2;
        var view = _model.Transform(_ml.Data.LoadFromEnumerable(_rows));
        using var cursor = view.GetRowCursor(view.Schema);
        var answer = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["answer"]);
        var id = cursor.GetGetter<ReadOnlyMemory<char>>(view.Schema["id"]);
        var read = new Dictionary<string, string>();
        while (cursor.MoveNext())
        {
            if (cursor.Position is 1 or 2 or 3) continue; // not read
            ReadOnlyMemory<char> a = default, i = default;
            answer(ref a);
            id(ref i);
            read[i.ToString()] = a.ToString();
        }
        Assert.Equal(["q0", "q4", "q5", "q6"], read.Keys);
        foreach (var (key, value) in read) Assert.Equal(_model.Answer(Input(_rows.Single(r => r.Id == key))), value);
    }
}
