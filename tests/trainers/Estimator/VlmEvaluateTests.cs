using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Trainers.Estimator;
using Vlm.Transforms.Evaluation;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary><c>ml.Vlm().Evaluate</c>: metrics from an IDataView's answer and reference columns, as ML.NET's own Evaluate methods take them.</summary>
public class VlmEvaluateTests
{
    sealed class Row
    {
        [ColumnName("answer")] public string Answer { get; set; } = "";
        [ColumnName("references"), VectorType] public string[] References { get; set; } = [];
    }

    sealed class OneReference
    {
        [ColumnName("answer")] public string Answer { get; set; } = "";
        [ColumnName("reference")] public string Reference { get; set; } = "";
    }

    [Fact]
    public void Caption_metrics_from_a_data_view_equal_the_library_on_the_same_rows()
    {
        var ml = new MLContext(1);
        Row[] rows =
        [
            new() { Answer = "A dog sits on the table.", References = ["A dog sits on a table.", "a dog on the table"] },
            new() { Answer = "Two people riding horses", References = ["two people ride horses in a field"] },
        ];
        var metrics = ml.Vlm().Evaluate(ml.Data.LoadFromEnumerable(rows), EvaluationTask.Caption);
        var direct = Evaluator.Score([.. rows.Select((r, i) => new Prediction(i.ToString(), r.Answer, r.References))], EvaluationTask.Caption);
        Assert.Equal(2, metrics.Count);
        Assert.Equal(direct, metrics.Values);
        Assert.Equal(direct[5].Value, metrics["CIDEr"]);
        Assert.Throws<KeyNotFoundException>(() => metrics["VQA"]);
    }

    [Fact]
    public void A_single_text_reference_column_works_and_wrong_columns_are_named()
    {
        var ml = new MLContext(1);
        var data = ml.Data.LoadFromEnumerable(new[] { new OneReference { Answer = "red", Reference = "red" }, new OneReference { Answer = "blue", Reference = "green" } });
        Assert.Equal(0.5, ml.Vlm().Evaluate(data, EvaluationTask.Exact, referencesColumn: "reference")["EXACT"]);
        Assert.Contains("no 'references' column", Assert.Throws<ArgumentException>(() => ml.Vlm().Evaluate(data, EvaluationTask.Exact)).Message);
    }
}
