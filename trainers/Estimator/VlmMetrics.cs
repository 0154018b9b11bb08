using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Transforms.Evaluation;

namespace Vlm.Trainers.Estimator;

/// <summary>The metrics of <see cref="VlmCatalog.Evaluate"/>: by name (<c>BLEU-1</c> .. <c>BLEU-4</c>, <c>ROUGE-L</c>, <c>CIDEr</c>; <c>VQA</c>; <c>EXACT</c>), in the order the task reports them.</summary>
public sealed class VlmMetrics(EvaluationTask task, int count, IReadOnlyList<(string Name, double Value)> values)
{
    public EvaluationTask Task => task;
    /// <summary>The rows scored.</summary>
    public int Count => count;
    public IReadOnlyList<(string Name, double Value)> Values => values;
    public double this[string name] => values.FirstOrDefault(v => v.Name == name) is { Name: not null } found ? found.Value
        : throw new KeyNotFoundException($"no metric '{name}' for the {task} task (it has {string.Join(", ", values.Select(v => v.Name))})");

    /// <summary>Reads the prediction and reference columns of <paramref name="data"/> (text, and text or vector of text) and scores them.</summary>
    internal static VlmMetrics Evaluate(IDataView data, EvaluationTask task, string predictionColumn, string referencesColumn, CaptionTokenization tokenization)
    {
        var prediction = data.Schema.GetColumnOrNull(predictionColumn) ?? throw new ArgumentException($"the data has no '{predictionColumn}' column (the model's answers)", nameof(predictionColumn));
        var references = data.Schema.GetColumnOrNull(referencesColumn) ?? throw new ArgumentException($"the data has no '{referencesColumn}' column (the references)", nameof(referencesColumn));
        if (prediction.Type is not TextDataViewType) throw new ArgumentException($"'{predictionColumn}' must be text, not {prediction.Type}", nameof(predictionColumn));
        bool vector = references.Type is VectorDataViewType { ItemType: TextDataViewType };
        if (!vector && references.Type is not TextDataViewType) throw new ArgumentException($"'{referencesColumn}' must be text or a vector of text, not {references.Type}", nameof(referencesColumn));

        var rows = new List<Prediction>();
        using var cursor = data.GetRowCursor([prediction, references]);
        var getPrediction = cursor.GetGetter<ReadOnlyMemory<char>>(prediction);
        var getVector = vector ? cursor.GetGetter<VBuffer<ReadOnlyMemory<char>>>(references) : null;
        var getText = vector ? null : cursor.GetGetter<ReadOnlyMemory<char>>(references);
        ReadOnlyMemory<char> text = default;
        VBuffer<ReadOnlyMemory<char>> texts = default;
        while (cursor.MoveNext())
        {
            getPrediction(ref text);
            string answer = text.ToString();
            List<string> refs;
            if (getVector is not null)
            {
                getVector(ref texts);
                refs = [.. texts.DenseValues().Select(t => t.ToString())];
            }
            else
            {
                getText!(ref text);
                refs = [text.ToString()];
            }
            if (refs.Count == 0) throw new InvalidDataException($"row {cursor.Position}: no references");
            rows.Add(new Prediction(cursor.Position.ToString(System.Globalization.CultureInfo.InvariantCulture), answer, refs));
        }
        return new VlmMetrics(task, rows.Count, Evaluator.Score(rows, task, tokenization));
    }
}
