using Microsoft.ML;
using Vlm.Datasets.Synthetic;
using Vlm.Datasets.Tokenizers;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models;
using Vlm.Trainers.Training;
using Vlm.Transforms;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Tests.Trainers.Estimator;

/// <summary>The VLM as an ML.NET estimator: Fit on ETL output, PredictionEngine, save and load.</summary>
[Collection(TorchRandomCollection.Name)]
public class VlmEstimatorTests : IDisposable
{
    readonly TempFolder _root = new();
    readonly MLContext _ml = new(seed: 1);
    readonly string _llm, _vision, _images;
    readonly IDataView _train, _held;
    static readonly ChatTemplateOptions Template = new() { Format = ChatFormat.Qwen2, SystemPrompt = null, ImageTokenCount = 4, FirstTurnOnly = true };

    public VlmEstimatorTests()
    {
        (_llm, _vision) = TinyModelFolders.Write(_root.File("models"), new TinyModelOptions
        {
            TextHiddenSize = 32, TextLayers = 1, TextIntermediateSize = 48, VisionHiddenSize = 32, VisionLayers = 1, VisionIntermediateSize = 48,
            ImageSize = 16, PatchSize = 8, Seed = 3,
        });
        ShapesDataset.Write(_root.File("data"), 8, seed: 5, imageSize: 16);
        _images = _root.File("data/images");
        var rows = Etl(_root.File("data/llava.json"));
        _train = _ml.Data.TakeRows(rows, 6);
        _held = _ml.Data.SkipRows(rows, 6);
    }

    public void Dispose() => _root.Dispose();

    IDataView Etl(string annotations)
    {
        var records = _ml.Data.LoadConversations(new EtlSource(SourceFormat.Llava, annotations, _images));
        var steps = _ml.Transforms.CheckImages(_images).Append(_ml.Transforms.TokenizeConversations(QwenTokenizer.Load(_llm), Template));
        return steps.Fit(records).Transform(records);
    }

    VlmTrainerOptions Options(string output) => new()
    {
        LlmPath = _llm, VisionPath = _vision, Template = Template, ImageRoot = _images, OutputDir = _root.File(output),
        Train = TrainableParts.ProjectorAndLora, LoraRank = 4, LoraAlpha = 8, LoraDropout = 0, TargetModules = "q_proj|v_proj",
        PerDeviceTrainBatchSize = 3, MaxSteps = 8, LearningRate = 1e-2, FeatureProjLr = 1e-2, LoggingSteps = 2, SaveSteps = 4, EvalSteps = 4,
    };

    VlmInput Question(int scene) => new() { Image = Path.Combine(_images, $"shape_{scene:D5}.png"), Prompt = "What shape is in the image?" };

    [Fact]
    public void Fit_trains_logs_evaluates_and_answers_through_a_prediction_engine()
    {
        using var model = _ml.Vlm().Trainer(Options("out")).Fit(_train, _held);

        Assert.Equal([2, 4, 6, 8], model.TrainingLog.Select(e => e.Step));
        Assert.Equal([4, 8], model.EvalLog.Select(e => e.Step));
        Assert.All(model.EvalLog, e => Assert.True(double.IsFinite(e.Loss) && e.Tokens > 0));
        Assert.True(model.TrainingLog[^1].Loss < model.TrainingLog[0].Loss, $"loss {model.TrainingLog[0].Loss} -> {model.TrainingLog[^1].Loss}");
        var events = Directory.GetFiles(_root.File("out/runs"), "events.out.tfevents.*");
        Assert.Single(events);
        Assert.True(new FileInfo(events[0]).Length > 100);
        foreach (var file in new[] { "vlm.json", "projector.safetensors", "adapter_config.json", "adapter_model.safetensors" })
            Assert.True(File.Exists(_root.File("out/model/" + file)), file);

        var engine = _ml.Model.CreatePredictionEngine<VlmInput, VlmOutput>(model);
        string answer = engine.Predict(Question(6)).Answer;
        Assert.NotEmpty(answer);
        Assert.Equal(model.Predictor.Answer(Question(6)), answer);
        Assert.Equal(answer, engine.Predict(new VlmInput { ImageBytes = File.ReadAllBytes(Question(6).Image), Prompt = Question(6).Prompt }).Answer);
    }

    [Fact]
    public void A_saved_model_loads_and_gives_the_same_greedy_answers()
    {
        using var model = _ml.Vlm().Trainer(Options("out") with { MaxSteps = 4, EvalSteps = 0 }).Fit(_train);
        string path = _root.File("saved/model.zip");
        Directory.CreateDirectory(_root.File("saved"));
        _ml.Vlm().Save(model, null, path);
        Assert.True(File.Exists(_root.File("saved/model.vlm/adapter_model.safetensors")));

        var ml = new MLContext();
        var loaded = ml.Vlm().Load(path, out var schema);
        Assert.IsType<VlmTransformer>(loaded);
        var before = _ml.Model.CreatePredictionEngine<VlmInput, VlmOutput>(model);
        var after = ml.Model.CreatePredictionEngine<VlmInput, VlmOutput>(loaded);
        for (int scene = 0; scene < 8; scene++)
            Assert.Equal(before.Predict(Question(scene)).Answer, after.Predict(Question(scene)).Answer);

        // The loaded stage saves again, weights included.
        ml.Vlm().Save(loaded, schema, _root.File("saved/again.zip"));
        Assert.True(File.Exists(_root.File("saved/again.vlm/projector.safetensors")));
        ((IDisposable)loaded).Dispose();
    }

    [Fact]
    public void A_folder_with_checkpoints_is_resumed_only_when_asked()
    {
        using (_ml.Vlm().Trainer(Options("again") with { MaxSteps = 2, SaveSteps = 1, EvalSteps = 0 }).Fit(_train)) { }
        var e = Assert.Throws<ResumeRequiredException>(() => _ml.Vlm().Trainer(Options("again") with { MaxSteps = 4, EvalSteps = 0 }).Fit(_train));
        Assert.Contains("checkpoint-2 the newest): set Resume = true", e.Message);
        int steps = 0;
        var resumed = _ml.Vlm().Trainer(Options("again") with { MaxSteps = 4, SaveSteps = 1, EvalSteps = 0, Resume = true });
        resumed.OnStep = (step, _) => steps++;
        using (resumed.Fit(_train)) { }
        Assert.Equal(2, steps); // steps 3 and 4 only
    }

    [Fact]
    public void Lora_on_the_vision_tower_trains_only_its_adapters_saves_them_as_a_peft_folder_and_loads_with_the_same_answers()
    {
        string tower = Path.Combine(_vision, "model.safetensors");
        using var model = _ml.Vlm().Trainer(Options("tower") with { VisionLoraTargetModules = "q_proj|v_proj|fc1", VisionFeatureLayer = -1, EvalSteps = 0 }).Fit(_train);

        // The tower's adapters trained (features from its last layer: the tiny tower has one); its base weights are the base folder's, bit for bit.
        var roles = Vlm.Trainers.Models.Modules.ParameterRoles.Of(model.Predictor.Model.VisionTower);
        var adapters = model.Predictor.Model.VisionTower.named_parameters().Where(p => roles[p.name] == Vlm.Trainers.Models.Modules.ParameterRole.Adapter).ToList();
        Assert.Equal(3 * 2, adapters.Count); // one layer, three targets, A and B each
        Assert.Contains(adapters, p => p.name.EndsWith("lora_B.weight", StringComparison.Ordinal) && p.parameter.abs().sum().item<float>() > 0);
        using (var saved = Vlm.Trainers.Checkpoints.SafetensorsFile.Open(tower))
            foreach (var (name, parameter) in model.Predictor.Model.VisionTower.named_parameters().Where(p => roles[p.name] != Vlm.Trainers.Models.Modules.ParameterRole.Adapter))
                Assert.True(saved.Read(name).eq(parameter).all().item<bool>(), $"{name} changed");

        string adapter = _root.File("tower/model/vision_adapter");
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(adapter, "adapter_config.json")))!;
        Assert.Equal("FEATURE_EXTRACTION", (string?)config["task_type"]);
        Assert.Equal(["q_proj", "v_proj", "fc1"], config["target_modules"]!.AsArray().Select(t => (string?)t));
        using (var weights = Vlm.Trainers.Checkpoints.SafetensorsFile.Open(Path.Combine(adapter, "adapter_model.safetensors")))
            Assert.Contains("base_model.model.vision_model.encoder.layers.0.self_attn.q_proj.lora_A.weight", weights.Names);

        var loaded = new MLContext().Vlm().LoadFolder(_root.File("tower/model"));
        for (int scene = 0; scene < 8; scene++)
            Assert.Equal(model.Predictor.Answer(Question(scene)), loaded.Predictor.Answer(Question(scene)));
        loaded.Dispose();

        // Without the tower's adapters the answers of a trained model are another model's: the folder's adapters are what loaded.
        Directory.Delete(adapter, recursive: true);
        Assert.Throws<FileNotFoundException>(() => new MLContext().Vlm().LoadFolder(_root.File("tower/model")));
    }

    [Fact]
    public void Lora_on_the_vision_tower_resumes_from_its_checkpoint_to_the_straight_runs_weights()
    {
        var options = Options("tower-resume") with { VisionLoraTargetModules = "q_proj|fc2", VisionFeatureLayer = -1, EvalSteps = 0, MaxSteps = 4, SaveSteps = 2 };
        using var straight = _ml.Vlm().Trainer(options with { OutputDir = _root.File("tower-straight") }).Fit(_train);
        using var stop = new CancellationTokenSource();
        var interrupted = _ml.Vlm().Trainer(options);
        interrupted.OnStep = (step, _) => { if (step == 2) stop.Cancel(); };
        Assert.Throws<TrainingInterruptedException>(() => interrupted.Fit(_train, null, stop.Token));
        Assert.True(File.Exists(_root.File("tower-resume/checkpoint-2/vision_adapter/adapter_model.safetensors")));

        using var resumed = _ml.Vlm().Trainer(options with { Resume = true }).Fit(_train);
        var expected = straight.Predictor.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var differing = resumed.Predictor.Model.named_parameters().Where(p => !p.parameter.eq(expected[p.name]).all().item<bool>()).Select(p => p.name).ToList();
        Assert.True(differing.Count == 0, "differ after the resume: " + string.Join(", ", differing));
        Assert.Contains(expected.Keys, name => name.StartsWith("vision_tower.", StringComparison.Ordinal) && name.EndsWith(".lora_B.weight", StringComparison.Ordinal));
    }

    sealed class Plain { public float X { get; set; } }

    [Fact]
    public void A_failed_save_leaves_the_saved_model_and_load_errors_come_unwrapped()
    {
        using var model = _ml.Vlm().Trainer(Options("out") with { MaxSteps = 1, EvalSteps = 0 }).Fit(_train);
        string path = _root.File("kept/model.zip");
        Directory.CreateDirectory(_root.File("kept"));
        _ml.Vlm().Save(model, null, path);
        var good = File.ReadAllBytes(path);
        // A stage ML.NET cannot save (a custom mapping without a contract name) fails the second save ...
        var unsaveable = _ml.Transforms.CustomMapping<Plain, Plain>((a, b) => b.X = a.X, contractName: null).Fit(_ml.Data.LoadFromEnumerable(new[] { new Plain() }));
        Assert.ThrowsAny<Exception>(() => _ml.Vlm().Save(unsaveable, _ml.Data.LoadFromEnumerable(new[] { new Plain() }).Schema, path));
        // ... and the model saved before is untouched, with no temporary file left.
        Assert.Equal(good, File.ReadAllBytes(path));
        Assert.Equal(["model.zip"], Directory.GetFiles(_root.File("kept")).Select(Path.GetFileName));

        // A load that fails inside ML.NET's reflection says why directly.
        Directory.Delete(_root.File("kept/model.vlm"), recursive: true);
        var e = Assert.ThrowsAny<Exception>(() => _ml.Vlm().Load(path, out _));
        Assert.IsNotType<System.Reflection.TargetInvocationException>(e);
        Assert.Contains("model.vlm", e.Message);
    }

    [Fact]
    public void Plain_model_save_and_load_say_how_to_do_it()
    {
        using var model = _ml.Vlm().Trainer(Options("out") with { MaxSteps = 1, EvalSteps = 0 }).Fit(_train);
        var schema = _ml.Data.LoadFromEnumerable(Array.Empty<VlmInput>()).Schema;
        var save = Assert.ThrowsAny<Exception>(() => _ml.Model.Save(model, schema, _root.File("plain.zip")));
        Assert.Contains("mlContext.Vlm().Save", Messages(save));

        _ml.Vlm().Save(model, null, _root.File("good.zip"));
        var ml = new MLContext();
        ml.ComponentCatalog.RegisterAssembly(typeof(VlmMappingFactory).Assembly);
        var load = Assert.ThrowsAny<Exception>(() => ml.Model.Load(_root.File("good.zip"), out _));
        Assert.Contains("mlContext.Vlm().Load", Messages(load));
    }

    static string Messages(Exception e) => e.InnerException is null ? e.Message : e.Message + " | " + Messages(e.InnerException);

    [Fact]
    public void Conflicting_options_are_refused_before_any_work()
    {
        var nothing = Assert.Throws<ArgumentException>(() => _ml.Vlm().Trainer(Options("bad") with { MaxSteps = -1, NumTrainEpochs = 0 }).Fit(_train));
        Assert.Contains("nothing to train", nothing.Message);
        var tokens = Assert.Throws<ArgumentException>(() => _ml.Vlm().Trainer(Options("bad") with { Template = Template with { ImageTokenCount = 5 } }).Fit(_train));
        Assert.Contains("gives 4 features", tokens.Message);
        var missing = Assert.Throws<DirectoryNotFoundException>(() => _ml.Vlm().Trainer(Options("bad") with { VisionPath = _root.File("nope") }).Fit(_train));
        Assert.Contains("nope", missing.Message);
        Assert.Contains("train_vision_tower trains the whole tower", Assert.Throws<ArgumentException>(() =>
            _ml.Vlm().Trainer(Options("bad") with { VisionLoraTargetModules = "q_proj", TrainVisionTower = true }).Fit(_train)).Message);
        Assert.Contains("needs train = lora", Assert.Throws<ArgumentException>(() =>
            _ml.Vlm().Trainer(Options("bad") with { VisionLoraTargetModules = "q_proj", Train = TrainableParts.Full }).Fit(_train)).Message);
        Assert.Contains("matches no linear layer", Assert.Throws<ArgumentException>(() =>
            _ml.Vlm().Trainer(Options("bad") with { VisionLoraTargetModules = "c_attn", EvalSteps = 0 }).Fit(_train)).Message);
        var gpu = new MLContext { GpuDeviceId = 0, FallbackToCpu = false };
        if (!TorchSharp.torch.cuda.is_available())
            Assert.Contains("FallbackToCpu", Assert.Throws<InvalidOperationException>(() => gpu.Vlm().Trainer(Options("bad")).Fit(_train)).Message);
        Assert.False(Directory.Exists(_root.File("bad/model")));
        Assert.False(Directory.Exists(_root.File("bad")) && Directory.GetDirectories(_root.File("bad"), "checkpoint-*").Length > 0);
    }
}
