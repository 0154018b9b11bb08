using System.Diagnostics;

namespace Vlm.Trainers.Training;

/// <summary>
/// The batches of the run (a <see cref="TrainingBatch"/>, or one per model copy: <see cref="ThreadReplicas"/>), in order, loaded (images decoded) by up to <c>workers</c> background
/// tasks ahead of the step that needs them: a bounded queue, so memory holds at most that many
/// batches beyond the current one. Loading is deterministic, so how far ahead it runs never changes
/// what a step sees.
/// </summary>
internal sealed class BatchQueue<TBatch>
{
    readonly Func<int, int, TBatch> _load;
    readonly int _total, _accumulation, _workers;
    readonly Queue<Task<TBatch>> _ahead = new();
    int _step, _micro; // the next batch to start loading

    public BatchQueue(Func<int, int, TBatch> load, int start, int total, int accumulation, int workers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 0);
        (_load, _step, _total, _accumulation, _workers) = (load, start, total, accumulation, workers);
    }

    /// <summary>The next batch, and the seconds spent waiting for it (0 when it was ready).</summary>
    public (TBatch Batch, double WaitSeconds) Take()
    {
        var clock = Stopwatch.StartNew();
        var batch = _ahead.TryDequeue(out var ready) ? ready.Result : Load();
        double waited = clock.Elapsed.TotalSeconds;
        while (_ahead.Count < _workers && _step < _total) _ahead.Enqueue(StartNext());
        return (batch, waited);
    }

    /// <summary>Lets the loads in flight finish (before a checkpoint or an interruption, so no task outlives the step).</summary>
    public void WaitAll()
    {
        foreach (var task in _ahead) task.Wait();
    }

    TBatch Load()
    {
        var (step, micro) = Advance();
        return _load(step, micro);
    }

    Task<TBatch> StartNext()
    {
        var (step, micro) = Advance();
        return Task.Run(() => _load(step, micro));
    }

    (int Step, int Micro) Advance()
    {
        var position = (_step, _micro);
        if (++_micro == _accumulation) (_step, _micro) = (_step + 1, 0);
        return position;
    }
}
