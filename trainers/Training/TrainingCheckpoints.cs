using System.Text.Json;
using TorchSharp;
using Vlm.Datasets.IO;
using Vlm.Trainers.Checkpoints;
using Vlm.Trainers.Models;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Models.Lora;

namespace Vlm.Trainers.Training;

/// <summary>
/// <c>checkpoint-{step}</c> folders in the output folder: the projector (safetensors), the LoRA
/// adapter (peft format) or the whole LLM (Hugging Face folder) depending on what trains, the
/// optimizer state, the random state and <c>trainer_state.json</c>. A checkpoint is written into a
/// temporary folder and renamed into place, so a folder with the final name is always complete.
/// </summary>
internal static class TrainingCheckpoints
{
    public const string StateFile = "trainer_state.json";
    const string Prefix = "checkpoint-", OptimizerFile = "optimizer.safetensors", RngFile = "rng_state.safetensors";
    public const string LlmFolder = "language_model", VisionFolder = "vision_tower";
    static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static string? Latest(string outputDir) =>
        !Directory.Exists(outputDir) ? null : Directory.GetDirectories(outputDir, Prefix + "*")
            .Select(d => (Dir: d, Step: Step(d)))
            .Where(d => d.Step >= 0 && File.Exists(Path.Combine(d.Dir, StateFile)))
            .OrderByDescending(d => d.Step).Select(d => d.Dir).FirstOrDefault();

    /// <summary>The step in a checkpoint folder's name, or -1 when the name is not a checkpoint's.</summary>
    public static int Step(string folder)
    {
        string name = Path.GetFileName(folder);
        return name.StartsWith(Prefix, StringComparison.Ordinal) && int.TryParse(name.AsSpan(Prefix.Length), out int step) ? step : -1;
    }

    /// <param name="randomStates">every rank's random state, rank r's at index r (null: this process's own)</param>
    public static void Save(string outputDir, VlmModel model, AdamW optimizer, TrainerState state, VlmTrainerOptions options, int keep, IReadOnlyList<torch.Tensor>? randomStates = null)
    {
        string final = Path.Combine(outputDir, Prefix + state.Step);
        try
        {
            AtomicFolder.Write(final, temp =>
            {
                WriteTrainedParts(model, temp, options.Train, options.TrainVisionTower, Lora(options, model), baseModel: null);
                optimizer.Save(Path.Combine(temp, OptimizerFile));
                if (randomStates is null)
                    using (var rng = torch.random.get_rng_state())
                        SafetensorsWriter.Write(Path.Combine(temp, RngFile), [KeyValuePair.Create("cpu", rng)]);
                else
                    SafetensorsWriter.Write(Path.Combine(temp, RngFile), [.. randomStates.Select((rng, rank) => KeyValuePair.Create(RandomStateKey(rank), rng))]);
                AtomicFile.WriteAllText(Path.Combine(temp, StateFile), JsonSerializer.Serialize(state, Json));
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk: the partial folder is gone (its space is what the next try needs), the older checkpoints stay.
            string? previous = Latest(outputDir);
            throw new IOException($"{final}: the checkpoint could not be written ({e.Message}); "
                + (previous is null ? "there is no earlier checkpoint" : $"the newest complete checkpoint, {previous}, is intact: free space and run again with --resume"), e);
        }
        foreach (var old in Directory.GetDirectories(outputDir, Prefix + "*")
                     .Where(d => !d.EndsWith(AtomicFolder.TempSuffix, StringComparison.Ordinal))
                     .OrderByDescending(Step)
                     .Skip(keep))
            Directory.Delete(old, recursive: true);
    }

    /// <summary>
    /// The weights that trained, into <paramref name="folder"/>: the projector, the peft adapter (LoRA)
    /// or <c>language_model/</c> (full LLM), and <c>vision_tower/</c> when the tower trained.
    /// Checkpoints and trained-model folders share this layout.
    /// </summary>
    public static void WriteTrainedParts(VlmModel model, string folder, TrainableParts train, bool visionTower, LoraOptions? lora, string? baseModel)
    {
        VlmCheckpoints.SaveProjector(model, Path.Combine(folder, VlmCheckpoints.ProjectorFile));
        if (train == TrainableParts.ProjectorAndLora)
            LoraAdapter.Save(model.LanguageModel, folder, lora ?? throw new ArgumentNullException(nameof(lora), "a LoRA-trained model needs its LoRA settings"), baseModel);
        if (train == TrainableParts.Full)
            VlmCheckpoints.WriteFolder(model.LanguageModel, "", model.LanguageModel.ConfigJson(), Path.Combine(folder, LlmFolder));
        if (visionTower) VlmCheckpoints.WriteVisionFolder(model, Path.Combine(folder, VisionFolder));
    }

    /// <summary>Rank 0's random state is "cpu", as a one-process checkpoint has it; rank r's "cpu_rank_r".</summary>
    static string RandomStateKey(int rank) => rank == 0 ? "cpu" : $"cpu_rank_{rank}";

    /// <summary>Restores weights, optimizer and this rank's random state from <paramref name="folder"/>; returns its trainer state.</summary>
    public static TrainerState Restore(string folder, VlmModel model, AdamW optimizer, VlmTrainerOptions options, int rank = 0, int worldSize = 1)
    {
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, StateFile)), Json)
            ?? throw new InvalidDataException($"{folder}: empty {StateFile}");
        if (state.WorldSize != worldSize)
            throw new InvalidOperationException($"{folder} was written by a run of {state.WorldSize} process(es) and this one has {worldSize}: each process would see other batches, so the resume could not be exact; resume with {state.WorldSize}, or start a new output_dir");
        VlmCheckpoints.LoadProjector(model, Path.Combine(folder, VlmCheckpoints.ProjectorFile));
        if (options.Train == TrainableParts.ProjectorAndLora) LoraAdapter.LoadWeights(model.LanguageModel, folder);
        if (options.Train == TrainableParts.Full)
        {
            using var llm = CheckpointFolder.Open(Path.Combine(folder, LlmFolder));
            ModuleWeights.Load(model.LanguageModel, llm, "", name => name);
        }
        if (options.TrainVisionTower) VlmCheckpoints.LoadVisionFolder(model, Path.Combine(folder, VisionFolder));
        optimizer.Load(Path.Combine(folder, OptimizerFile));
        using (var file = SafetensorsFile.Open(Path.Combine(folder, RngFile)))
        using (var rng = file.Read(RandomStateKey(rank)))
            torch.random.set_rng_state(rng);
        return state;
    }

    /// <summary>The LoRA settings of a run; without target modules, the LLM's own default ones.</summary>
    public static LoraOptions Lora(VlmTrainerOptions options, VlmModel model) => new()
    {
        Rank = options.LoraRank, Alpha = options.LoraAlpha, Dropout = options.LoraDropout,
        TargetModules = options.TargetModules ?? model.LanguageModel.DefaultLoraTargets,
    };
}
