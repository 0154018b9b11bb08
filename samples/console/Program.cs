// The whole path from your own app, on built-in data and tiny random models so that it runs anywhere
// in a minute: an ETL chain composed with Append -> Parquet shards -> Fit with a validation set ->
// model.zip saved and loaded -> a PredictionEngine and a batched Transform.
//
//   dotnet run -- [work folder] [training steps]
//
// With your own data and models, replace steps 1 and 2: a LLaVA JSON file and its image folder, a
// Qwen2 or Llama folder and a CLIP or SigLIP folder in Hugging Face's format.
using Microsoft.ML;
using Vlm.Datasets.Synthetic;
using Vlm.Datasets.Tokenizers;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models;
using Vlm.Trainers.Models.Llava;
using Vlm.Trainers.Training;
using Vlm.Transforms;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

string root = Path.GetFullPath(args.Length > 0 ? args[0] : "vlm-sample");
int steps = args.Length > 1 ? int.Parse(args[1]) : 200;
if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
var ml = new MLContext(seed: 1);

// 1. Data: synthetic shape images with LLaVA-format conversations, for training and for validation.
string train = Path.Combine(root, "data", "train"), validation = Path.Combine(root, "data", "validation");
ShapesDataset.Write(train, 32, seed: 1);
ShapesDataset.Write(validation, 8, seed: 2);

// 2. Models: a tiny random Qwen2 and CLIP (32 px, 16 image features); Qwen2's tokenizer trimmed to the
//    data's tokens, so that the output head is small enough to learn in seconds.
var (llm, vision) = TinyModelFolders.Write(Path.Combine(root, "models"), new TinyModelOptions
{
    Seed = 1, VocabularyCorpus = [File.ReadAllText(Path.Combine(train, ShapesDataset.LlavaFile))],
});
var tokenizer = TextTokenizer.Load(llm);
var template = new ChatTemplateOptions { ImageTokenCount = 16 };   // the chat format follows the tokenizer

// 3. The ETL as an ML.NET chain, written as Parquet shards with a manifest.
EtlManifest Shards(string data, string output)
{
    var source = new EtlSource(SourceFormat.Llava, Path.Combine(data, ShapesDataset.LlavaFile), Path.Combine(data, ShapesDataset.ImagesFolder));
    var records = ml.Data.LoadConversations(source);
    var tokenize = ml.Transforms.TokenizeConversations(tokenizer, template);
    var etl = ml.Transforms.CheckImages(source.Images)
        .Append(tokenize)
        .Append(ml.Transforms.ApplyLengthPolicy(512, LengthPolicy.Drop, tokenize.Fit(records).ImageTokenId));
    return ml.Data.SaveAsShards(etl.Fit(records).Transform(records), output);
}
var trainShards = Shards(train, Path.Combine(root, "shards", "train"));
Shards(validation, Path.Combine(root, "shards", "validation"));
Console.WriteLine($"shards: {trainShards.Rows} training rows, {trainShards.Rejected} rejected");

// 4. Training: LoRA on the LLM and the projector, validation loss at the end.
var trainer = ml.Vlm().Trainer(new VlmTrainerOptions
{
    LlmPath = llm, VisionPath = vision, OutputDir = Path.Combine(root, "out"),
    MaxSteps = steps, PerDeviceTrainBatchSize = 4, LoraRank = 8, LearningRate = 2e-3, FeatureProjLr = 2e-3,
    LoggingSteps = Math.Max(1, steps / 4), EvalSteps = steps,
});
trainer.OnLog = entry => Console.WriteLine($"step {entry.Step}: loss {entry.Loss:F3}");
using (VlmTransformer model = trainer.Fit(ml.Data.LoadShards(Path.Combine(root, "shards", "train")), ml.Data.LoadShards(Path.Combine(root, "shards", "validation"))))
{
    Console.WriteLine($"validation loss: {model.EvalLog[^1].Loss:F3}");
    // 5. Saved as model.zip (+ model.vlm/ with the weights).
    ml.Vlm().Save(model, null, Path.Combine(root, "model.zip"));
}

// 6. Loaded back: one answer from a PredictionEngine, then all validation images in one batched Transform.
var loaded = (VlmTransformer)ml.Vlm().Load(Path.Combine(root, "model.zip"), out _);
loaded.Generation = new GenerationOptions { MaxNewTokens = 12 };
var questions = Directory.GetFiles(Path.Combine(validation, ShapesDataset.ImagesFolder), "*.png").Order()
    .Select(image => new VlmInput { Image = image, Prompt = "What shape is in the image?" }).ToList();

var engine = ml.Model.CreatePredictionEngine<VlmInput, VlmOutput>(loaded);   // one engine per thread
string first = engine.Predict(questions[0]).Answer;
Console.WriteLine($"answer: {first}");

var answers = ml.Data.CreateEnumerable<VlmOutput>(loaded.Transform(ml.Data.LoadFromEnumerable(questions)), reuseRowObject: false).ToList();
for (int i = 0; i < answers.Count; i++) Console.WriteLine($"{Path.GetFileName(questions[i].Image)}: {answers[i].Answer}");
Console.WriteLine($"batched answers: {answers.Count}, the first equal to the engine's: {answers[0].Answer == first}");
loaded.Dispose();
