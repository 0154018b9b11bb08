using Microsoft.ML;
using Microsoft.ML.Data;

namespace Vlm.Trainers.Estimator;

/// <summary>
/// <see cref="VlmTransformer.Transform"/>'s output when answers are generated in batches: the input's
/// columns and <c>answer</c>. Each cursor reads its rows twice over: a second cursor of the input
/// runs ahead a batch at a time to collect the questions and generate their answers together, while
/// the first moves row by row and serves every other column, so any input column passes through
/// unchanged and in step.
/// </summary>
internal sealed class BatchedAnswerView : IDataView
{
    public const string AnswerColumn = "answer";
    readonly IDataView _input;
    readonly VlmPredictor _predictor;
    readonly int _batchSize;

    public BatchedAnswerView(IDataView input, VlmPredictor predictor, int batchSize)
    {
        _input = input;
        _predictor = predictor;
        _batchSize = batchSize;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(input.Schema.Where(c => c.Name != AnswerColumn || c.IsHidden));
        builder.AddColumn(AnswerColumn, TextDataViewType.Instance);
        Schema = builder.ToSchema();
    }

    public bool CanShuffle => false;
    public DataViewSchema Schema { get; }

    public long? GetRowCount() => _input.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var needed = columnsNeeded.ToList();
        var passThrough = needed.Where(c => c.Name != AnswerColumn || c.Index != Schema[AnswerColumn].Index).Select(c => _input.Schema[c.Name]).ToList();
        bool answers = needed.Any(c => c.Index == Schema[AnswerColumn].Index);
        return new Cursor(this, _input.GetRowCursor(passThrough), answers ? _input.GetRowCursor(QuestionColumns()) : null);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];

    IEnumerable<DataViewSchema.Column> QuestionColumns() =>
        new[] { "image", "image_bytes", "prompt", "history" }.Select(name => _input.Schema[name]);

    sealed class Cursor : DataViewRowCursor
    {
        readonly BatchedAnswerView _view;
        readonly DataViewRowCursor _rows;
        readonly DataViewRowCursor? _ahead;
        readonly Func<VlmInput>? _question;
        readonly List<string> _answers = [];
        long _first; // the position of _answers[0], and of the row the look-ahead cursor reads next

        public Cursor(BatchedAnswerView view, DataViewRowCursor rows, DataViewRowCursor? ahead)
        {
            _view = view;
            _rows = rows;
            _ahead = ahead;
            if (ahead is null) return;
            var image = ahead.GetGetter<ReadOnlyMemory<char>>(ahead.Schema["image"]);
            var bytes = ahead.GetGetter<VBuffer<byte>>(ahead.Schema["image_bytes"]);
            var prompt = ahead.GetGetter<ReadOnlyMemory<char>>(ahead.Schema["prompt"]);
            var history = ahead.GetGetter<VBuffer<ReadOnlyMemory<char>>>(ahead.Schema["history"]);
            _question = () =>
            {
                ReadOnlyMemory<char> path = default, text = default;
                VBuffer<byte> data = default;
                VBuffer<ReadOnlyMemory<char>> turns = default;
                image(ref path);
                bytes(ref data);
                prompt(ref text);
                history(ref turns);
                return new VlmInput
                {
                    Image = path.ToString(), ImageBytes = data.DenseValues().ToArray(), Prompt = text.ToString(),
                    History = [.. turns.DenseValues().Select(t => t.ToString())],
                };
            };
        }

        public override long Position => _rows.Position;
        public override long Batch => _rows.Batch;
        public override DataViewSchema Schema => _view.Schema;

        public override bool MoveNext() => _rows.MoveNext();

        public override bool IsColumnActive(DataViewSchema.Column column) =>
            column.Index == _view.Schema[AnswerColumn].Index ? _ahead is not null : _rows.IsColumnActive(_rows.Schema[column.Name]);

        public override ValueGetter<TValue> GetGetter<TValue>(DataViewSchema.Column column)
        {
            if (column.Index != _view.Schema[AnswerColumn].Index) return _rows.GetGetter<TValue>(_rows.Schema[column.Name]);
            if (_ahead is null) throw new InvalidOperationException($"the {AnswerColumn} column was not asked for when the cursor was made");
            ValueGetter<ReadOnlyMemory<char>> answer = (ref ReadOnlyMemory<char> value) => value = Answer().AsMemory();
            return (ValueGetter<TValue>)(Delegate)answer;
        }

        public override ValueGetter<DataViewRowId> GetIdGetter() => _rows.GetIdGetter();

        /// <summary>The answer of the current row, generating the batch that starts there when it is not buffered (rows whose answer nobody read are skipped, not answered).</summary>
        string Answer()
        {
            if (Position >= _first + _answers.Count)
            {
                _first += _answers.Count;
                _answers.Clear();
                for (; _first < Position; _first++)
                    if (!_ahead!.MoveNext()) throw new InvalidOperationException($"row {Position} has no question: the input's cursors disagree on its rows");
                var batch = new List<VlmInput>();
                while (batch.Count < _view._batchSize && _ahead!.MoveNext()) batch.Add(_question!());
                _answers.AddRange(_view._predictor.Answers(batch));
                if (_answers.Count == 0) throw new InvalidOperationException($"row {Position} has no question: the input's cursors disagree on its rows");
            }
            return _answers[(int)(Position - _first)];
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _rows.Dispose();
                _ahead?.Dispose();
            }
            base.Dispose(disposing);
        }
    }
}
