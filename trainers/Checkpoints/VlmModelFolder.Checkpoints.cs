using System.Text.Json;
using TorchSharp;
using Vlm.Datasets.IO;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Lora;
using Vlm.Trainers.Training;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// <c>checkpoint-{step}</c> folders in a run's output folder: the trained parts (as a trained model
/// holds them), the optimizer state, every rank's random state and <c>trainer_state.json</c>.
/// </summary>
internal static partial class VlmModelFolder
{
    public const string StateFile = "trainer_state.json";
    const string CheckpointPrefix = "checkpoint-", OptimizerFile = "optimizer.safetensors", RngFile = "rng_state.safetensors";
    static readonly JsonSerializerOptions StateJson = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The folder of step <paramref name="step"/>'s checkpoint in <paramref name="outputDir"/>.</summary>
    public static string Checkpoint(string outputDir, int step) => Path.Combine(outputDir, CheckpointPrefix + step);

    /// <summary>The newest complete checkpoint in <paramref name="outputDir"/>, or null.</summary>
    public static string? LatestCheckpoint(string outputDir) =>
        !Directory.Exists(outputDir) ? null : Directory.GetDirectories(outputDir, CheckpointPrefix + "*")
            .Select(d => (Dir: d, Step: CheckpointStep(d)))
            .Where(d => d.Step >= 0 && File.Exists(Path.Combine(d.Dir, StateFile)))
            .OrderByDescending(d => d.Step).Select(d => d.Dir).FirstOrDefault();

    /// <summary>The step in a checkpoint folder's name, or -1 when the name is not a checkpoint's.</summary>
    public static int CheckpointStep(string folder)
    {
        string name = Path.GetFileName(folder);
        return name.StartsWith(CheckpointPrefix, StringComparison.Ordinal) && int.TryParse(name.AsSpan(CheckpointPrefix.Length), out int step) ? step : -1;
    }

    /// <summary>Writes step <c>state.Step</c>'s checkpoint, then deletes all but the newest <paramref name="keep"/>.</summary>
    /// <param name="randomStates">every rank's random state, rank r's at index r (null: this process's own)</param>
    public static void SaveCheckpoint(string outputDir, VlmModel model, AdamW optimizer, TrainerState state, TrainedParts parts, LoraOptions? lora, int keep, IReadOnlyList<torch.Tensor>? randomStates = null)
    {
        string final = Checkpoint(outputDir, state.Step);
        try
        {
            AtomicFolder.Write(final, temp =>
            {
                WriteParts(model, temp, parts, lora, baseModel: null);
                optimizer.Save(Path.Combine(temp, OptimizerFile));
                if (randomStates is null)
                    using (var rng = torch.random.get_rng_state())
                        SafetensorsWriter.Write(Path.Combine(temp, RngFile), [KeyValuePair.Create("cpu", rng)]);
                else
                    SafetensorsWriter.Write(Path.Combine(temp, RngFile), [.. randomStates.Select((rng, rank) => KeyValuePair.Create(RandomStateKey(rank), rng))]);
                AtomicFile.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, StateJson));
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk: the partial folder is gone (its space is what the next try needs), the older checkpoints stay.
            string? previous = LatestCheckpoint(outputDir);
            throw new IOException($"{final}: the checkpoint could not be written ({e.Message}); "
                + (previous is null ? "there is no earlier checkpoint" : $"the newest complete checkpoint, {previous}, is intact: free space and run again with --resume"), e);
        }
        foreach (var old in Directory.GetDirectories(outputDir, CheckpointPrefix + "*")
                     .Where(d => !d.EndsWith(AtomicFolder.TempSuffix, StringComparison.Ordinal))
                     .OrderByDescending(CheckpointStep)
                     .Skip(keep))
            Directory.Delete(old, recursive: true);
    }

    /// <summary>Rank 0's random state is "cpu", as a one-process checkpoint has it; rank r's "cpu_rank_r".</summary>
    static string RandomStateKey(int rank) => rank == 0 ? "cpu" : $"cpu_rank_{rank}";

    /// <summary>Restores weights, optimizer and this rank's random state from <paramref name="folder"/>; returns its trainer state.</summary>
    public static TrainerState RestoreCheckpoint(string folder, VlmModel model, AdamW optimizer, TrainedParts parts, int rank = 0, int worldSize = 1)
    {
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, StateFile)), StateJson)
            ?? throw new InvalidDataException($"{folder}: empty {StateFile}");
        if (state.WorldSize != worldSize)
            throw new InvalidOperationException($"{folder} was written by a run of {state.WorldSize} process(es) and this one has {worldSize}: each process would see other batches, so the resume could not be exact; resume with {state.WorldSize}, or start a new output_dir");
        LoadParts(model, folder, parts);
        optimizer.Load(Path.Combine(folder, OptimizerFile));
        using (var file = SafetensorsFile.Open(Path.Combine(folder, RngFile)))
        using (var rng = file.Read(RandomStateKey(rank)))
            torch.random.set_rng_state(rng);
        return state;
    }
}
