using System.Runtime.ExceptionServices;
using TorchSharp;
using TorchSharp.Modules;
using Vlm.Trainers.Models.Llava;
using static TorchSharp.torch;

namespace Vlm.Trainers.Training;

/// <summary>
/// Data parallelism inside one process on the CPU (<c>cpu_replicas</c>): copies of the model, each run
/// by a thread of its own with one intra-op thread, each taking a share of every micro-batch. The
/// copies' gradients are added to the model's, in copy order, before the optimizer step, and the
/// stepped weights are copied back into them. For models whose operations are too small to split
/// across cores: there OpenMP's hand-offs between threads cost more than they save, while whole
/// forward and backward passes side by side keep every core busy (the demo over 800 steps: 36k against
/// 25k tokens/s; slower stretches seen with libtorch's AVX-512 kernels are gone with the AVX2 ones
/// that <see cref="Runtime.CpuKernels"/> picks).
/// </summary>
internal sealed class ThreadReplicas : IDisposable
{
    readonly VlmModel _model;
    readonly List<VlmModel> _copies;
    readonly List<(Parameter Model, Parameter[] Copies)> _trainable;
    readonly List<Worker> _workers = [];
    readonly int _threadsBefore = get_num_threads();

    ThreadReplicas(VlmModel model, List<VlmModel> copies, List<(Parameter, Parameter[])> trainable)
    {
        (_model, _copies, _trainable) = (model, copies, trainable);
        // The calling thread runs the model's share: one intra-op thread there too, until Dispose.
        set_num_threads(1);
        for (int i = 0; i < copies.Count; i++) _workers.Add(new Worker(i + 1));
    }

    /// <summary>The copies, the model included.</summary>
    public int Count => _copies.Count + 1;

    /// <summary>
    /// <paramref name="count"/> - 1 copies of <paramref name="model"/>, made trainable by <paramref name="prepare"/>
    /// as the model was (adapters, frozen parts, types; it returns the trainable parameters by name) and given
    /// the model's weights. The run's random stream is left as it was (a new model draws its weights).
    /// </summary>
    public static ThreadReplicas Create(VlmModel model, int count, IReadOnlyList<(string Name, Parameter Parameter)> trainable,
        Func<VlmModel, IReadOnlyList<(string Name, Parameter Parameter)>> prepare)
    {
        if (model.LanguageModel.HeadWeight.device_type != DeviceType.CPU)
            throw new NotSupportedException("cpu_replicas copies the model across CPU cores; on a GPU leave it at 1 (one model uses the whole device)");
        var copies = new List<VlmModel>();
        var pairs = trainable.Select(t => (Model: t.Parameter, Copies: new Parameter[count - 1])).ToList();
        using var randomState = random.get_rng_state();
        try
        {
            for (int i = 0; i < count - 1; i++)
            {
                var copy = model.NewOfSameArchitecture();
                copies.Add(copy);
                copy.to(model.LanguageModel.HeadWeight.dtype);
                var copyTrainable = prepare(copy).ToDictionary(t => t.Name, t => t.Parameter);
                CopyState(model, copy);
                copy.FusedLoss = model.FusedLoss;
                copy.LossChunkRows = model.LossChunkRows;
                copy.train(model.training);
                for (int p = 0; p < trainable.Count; p++)
                    pairs[p].Copies[i] = copyTrainable.TryGetValue(trainable[p].Name, out var mine) ? mine
                        : throw new InvalidOperationException($"the model copy has no trainable {trainable[p].Name}");
            }
            return new ThreadReplicas(model, copies, pairs);
        }
        catch
        {
            foreach (var copy in copies) copy.Dispose();
            throw;
        }
        finally
        {
            random.set_rng_state(randomState);
        }
    }

    /// <summary>Every parameter and buffer of <paramref name="from"/> into <paramref name="to"/>, which must have the same names, shapes and types.</summary>
    static void CopyState(VlmModel from, VlmModel to)
    {
        var source = from.state_dict();
        var target = to.state_dict();
        if (!source.Keys.Order().SequenceEqual(target.Keys.Order()))
            throw new InvalidOperationException($"the model copy's tensors differ from the model's ({string.Join(", ", source.Keys.Except(target.Keys).Concat(target.Keys.Except(source.Keys)).Take(5))})");
        using var _ = no_grad();
        foreach (var (name, tensor) in source)
        {
            var copy = target[name];
            if (copy.dtype != tensor.dtype || !copy.shape.SequenceEqual(tensor.shape))
                throw new InvalidOperationException($"the model copy's {name} is {copy.dtype} [{string.Join(", ", copy.shape)}], the model's {tensor.dtype} [{string.Join(", ", tensor.shape)}]");
            copy.copy_(tensor);
        }
    }

    /// <summary>
    /// The forward and backward passes of each of <paramref name="parts"/> (one per copy; part 0 on the model,
    /// on the calling thread), each part's mean loss weighted by its share of the labelled positions of all
    /// parts and by <paramref name="scale"/>: the gradients of the whole micro-batch's mean loss times
    /// <paramref name="scale"/>, summed over the copies by <see cref="GatherGradients"/>. Returns that
    /// weighted loss.
    /// </summary>
    public double ForwardBackward(IReadOnlyList<TrainingBatch> parts, Device device, double scale)
    {
        if (parts.Count != Count) throw new ArgumentException($"{parts.Count} parts for {Count} model copies");
        long total = parts.Sum(p => p.LabelledTokens);
        if (total == 0) throw new ArgumentException("the batch has no labelled token to train on");
        var losses = new double[parts.Count];
        void Run(int k)
        {
            using var scope = NewDisposeScope();
            var (ids, keep, labels, pixels) = parts[k].ToTensors(device); // always: the part's images are handed over here
            long labelled = parts[k].LabelledTokens;
            if (labelled == 0) return;
            var (loss, _) = (k == 0 ? _model : _copies[k - 1]).Loss(ids, keep, labels, pixels);
            double weight = scale * labelled / total;
            using (var w = weight.ToScalar()) loss.mul(w).backward();
            losses[k] = loss.item<float>() * weight;
        }
        for (int k = 1; k < parts.Count; k++)
        {
            int part = k;
            _workers[k - 1].Start(() => Run(part));
        }
        ExceptionDispatchInfo? failure = null;
        try
        {
            Run(0);
        }
        catch (Exception e)
        {
            failure = ExceptionDispatchInfo.Capture(e);
        }
        foreach (var worker in _workers)
        {
            try
            {
                worker.Wait();
            }
            catch (Exception e)
            {
                failure ??= ExceptionDispatchInfo.Capture(e);
            }
        }
        failure?.Throw();
        return losses.Sum();
    }

    /// <summary>The copies' gradients added to the model's, copy after copy (the same sums every run), and cleared.</summary>
    public void GatherGradients()
    {
        using var _ = no_grad();
        foreach (var (parameter, copies) in _trainable)
            foreach (var copy in copies)
            {
                if (copy.grad is not { } gradient) continue;
                if (parameter.grad is { } sum) sum.add_(gradient);
                else parameter.grad = gradient.clone();
                copy.grad = null;
            }
    }

    /// <summary>The model's trained weights into every copy (after the optimizer step).</summary>
    public void CopyWeights()
    {
        using var _ = no_grad();
        foreach (var (parameter, copies) in _trainable)
            foreach (var copy in copies) copy.copy_(parameter);
    }

    public void Dispose()
    {
        foreach (var worker in _workers) worker.Dispose();
        foreach (var copy in _copies) copy.Dispose();
        set_num_threads(_threadsBefore);
    }

    /// <summary>A thread with one intra-op thread that runs one piece of work at a time.</summary>
    sealed class Worker : IDisposable
    {
        readonly Thread _thread;
        readonly SemaphoreSlim _start = new(0), _done = new(0);
        Action? _work;
        ExceptionDispatchInfo? _failure;
        volatile bool _stopping;

        public Worker(int index)
        {
            _thread = new Thread(Loop) { IsBackground = true, Name = $"model copy {index}" };
            _thread.Start();
        }

        void Loop()
        {
            set_num_threads(1);
            while (true)
            {
                _start.Wait();
                if (_stopping) return;
                try
                {
                    _work!();
                }
                catch (Exception e)
                {
                    _failure = ExceptionDispatchInfo.Capture(e);
                }
                _done.Release();
            }
        }

        public void Start(Action work)
        {
            (_work, _failure) = (work, null);
            _start.Release();
        }

        public void Wait()
        {
            _done.Wait();
            _failure?.Throw();
        }

        public void Dispose()
        {
            _stopping = true;
            _start.Release();
            _thread.Join();
            _start.Dispose();
            _done.Dispose();
        }
    }
}
