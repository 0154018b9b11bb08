using Microsoft.ML;
using Microsoft.ML.Data;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Training;
using Vlm.Transforms.Data;

namespace Vlm.Trainers.Estimator;

/// <summary>
/// The fitted VLM stage: maps <c>image</c> / <c>image_bytes</c>, <c>prompt</c> and <c>history</c>
/// (the columns of <see cref="VlmInput"/>) to <c>answer</c>. It works as a row-to-row mapper, so
/// <c>mlContext.Model.CreatePredictionEngine&lt;VlmInput, VlmOutput&gt;(model)</c> answers single
/// questions. Save and load it (alone or at the end of a pipeline) with <see cref="VlmCatalog.Save"/>
/// and <see cref="VlmCatalog.Load"/>: the weights go in a folder next to <c>model.zip</c>.
/// </summary>
public sealed class VlmTransformer : ITransformer, IDisposable
{
    /// <summary>The name <c>model.zip</c> records for this stage; <see cref="VlmMappingFactory"/> answers to it.</summary>
    internal const string ContractName = "Vlm.VisionLanguageModel";

    readonly ITransformer _mapping;
    readonly LoraOptions? _lora;

    internal VlmTransformer(MLContext ml, VlmPredictor predictor, LoraOptions? lora, IReadOnlyList<LogEntry>? log = null, IReadOnlyList<EvalEntry>? evalLog = null)
    {
        Predictor = predictor;
        _lora = lora;
        TrainingLog = log ?? [];
        EvalLog = evalLog ?? [];
        _mapping = ml.Transforms.CustomMapping(Mapping(predictor), ContractName).Fit(ml.Data.LoadFromEnumerable(Array.Empty<VlmInput>()));
    }

    internal VlmPredictor Predictor { get; }

    /// <summary>The training run's logged values (empty for a loaded model).</summary>
    public IReadOnlyList<LogEntry> TrainingLog { get; }

    /// <summary>The validation losses of the training run (empty without a validation set, or for a loaded model).</summary>
    public IReadOnlyList<EvalEntry> EvalLog { get; }

    /// <summary>
    /// How <c>Transform</c>, prediction engines and <see cref="Answer"/> generate (max new tokens,
    /// temperature, top-k/top-p, repetition penalty, seed); stop ids default to the chat format's.
    /// </summary>
    public Models.Llava.GenerationOptions Generation
    {
        get => Predictor.Generation;
        set => Predictor.Generation = value;
    }

    /// <summary>One answer; <paramref name="generation"/> overrides <see cref="Generation"/> for this call.</summary>
    public string Answer(VlmInput input, Models.Llava.GenerationOptions? generation = null) => Predictor.Answer(input, generation: generation);

    /// <summary>
    /// One answer as it is generated: the pieces add up to <see cref="Answer"/>'s text (a piece never ends
    /// inside a multi-byte character). Generation runs on a worker thread and stops at the next token
    /// when <paramref name="cancellation"/> fires.
    /// </summary>
    public async IAsyncEnumerable<string> AnswerStreaming(VlmInput input, Models.Llava.GenerationOptions? generation = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        var pieces = System.Threading.Channels.Channel.CreateUnbounded<string>(new() { SingleReader = true, SingleWriter = true });
        var work = Task.Run(() => Predictor.Answer(input, piece =>
        {
            cancellation.ThrowIfCancellationRequested();
            pieces.Writer.TryWrite(piece);
        }, generation), CancellationToken.None);
        _ = work.ContinueWith(t => pieces.Writer.TryComplete(t.Exception?.InnerException), TaskScheduler.Default);
        await foreach (var piece in pieces.Reader.ReadAllAsync(cancellation)) yield return piece;
        await work;
    }

    internal static Action<VlmInput, VlmOutput> Mapping(VlmPredictor predictor) => (input, output) => output.Answer = predictor.Answer(input);

    public bool IsRowToRowMapper => true;

    // A view needs only prompt (and image or image_bytes): the other input columns are added empty when missing.
    static readonly OutputColumn[] Optional =
    [
        new("image", TextDataViewType.Instance),
        new("image_bytes", new VectorDataViewType(NumberDataViewType.Byte)),
        new("history", new VectorDataViewType(TextDataViewType.Instance)),
    ];

    public DataViewSchema GetOutputSchema(DataViewSchema inputSchema) =>
        _mapping.GetOutputSchema(DefaultColumnsTransformer.For(inputSchema, Optional)?.GetOutputSchema(inputSchema) ?? inputSchema);

    /// <summary>
    /// Rows answered together by <see cref="Transform"/> (left-padded prompts, one tower pass per
    /// batch; the same greedy answers as one at a time). 1 answers row by row. Prediction engines
    /// always answer one row at a time.
    /// </summary>
    public int BatchSize
    {
        get => _batchSize;
        set => _batchSize = value >= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "BatchSize must be at least 1");
    }

    int _batchSize = 8;

    public IDataView Transform(IDataView input)
    {
        var withDefaults = DefaultColumnsTransformer.For(input.Schema, Optional)?.Transform(input) ?? input;
        return BatchSize == 1 ? _mapping.Transform(withDefaults) : new BatchedAnswerView(withDefaults, Predictor, BatchSize);
    }

    public IRowToRowMapper GetRowToRowMapper(DataViewSchema inputSchema) => _mapping.GetRowToRowMapper(inputSchema);

    /// <summary>Writes the weights into the folder <see cref="VlmCatalog.Save"/> named and the stage's contract name into <c>model.zip</c>.</summary>
    void ICanSaveModel.Save(ModelSaveContext ctx)
    {
        string folder = VlmModelFolder.CurrentPipelineSave
            ?? throw new NotSupportedException("the VLM stage keeps its weights in a folder next to model.zip: save with mlContext.Vlm().Save(model, schema, path) instead of mlContext.Model.Save");
        VlmModelFolder.Write(Predictor.Model, Predictor.Spec, _lora, folder);
        _mapping.Save(ctx);
    }

    /// <summary>Writes the model as a folder (the format of the folder next to <c>model.zip</c>).</summary>
    public void SaveFolder(string folder) => VlmModelFolder.Write(Predictor.Model, Predictor.Spec, _lora, folder);

    public void Dispose() => Predictor.Dispose();
}
