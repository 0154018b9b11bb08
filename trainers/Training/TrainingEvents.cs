using TorchSharp.Modules;
using static TorchSharp.torch.utils.tensorboard;

namespace Vlm.Trainers.Training;

/// <summary>The logged values as a TensorBoard event file (TorchSharp's <c>SummaryWriter</c>), one scalar per value and step.</summary>
/// <remarks>SummaryWriter appends each event to its file as it is added (it has nothing to flush or close).</remarks>
internal sealed class TrainingEvents(string folder)
{
    readonly SummaryWriter _writer = SummaryWriter(folder, createRunName: false);

    public string Folder => _writer.LogDir;

    public void Write(LogEntry entry)
    {
        _writer.add_scalar("train/loss", (float)entry.Loss, entry.Step);
        _writer.add_scalar("train/learning_rate", (float)entry.LearningRate, entry.Step);
        _writer.add_scalar("train/projector_learning_rate", (float)entry.ProjectorLearningRate, entry.Step);
        _writer.add_scalar("train/grad_norm", (float)entry.GradNorm, entry.Step);
        _writer.add_scalar("train/tokens_per_second", (float)entry.TokensPerSecond, entry.Step);
        _writer.add_scalar("train/data_wait", (float)entry.DataWait, entry.Step);
        _writer.add_scalar("train/samples_per_second", (float)entry.SamplesPerSecond, entry.Step);
    }

    public void Write(EvalEntry entry) => _writer.add_scalar("eval/loss", (float)entry.Loss, entry.Step);
}
