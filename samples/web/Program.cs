// Serves a model saved by ml.Vlm().Save (for instance by the console sample):
//
//   dotnet run -- --model /path/to/model.zip --urls http://127.0.0.1:5000
//   curl -F image=@cat.png -F prompt="What is in the image?" http://127.0.0.1:5000/ask
//
// One model answers every request; each request rents a prediction engine from the pool (an engine
// is not safe to share between threads, the model is: its calls are serialised inside it).
using Microsoft.ML;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

var builder = WebApplication.CreateBuilder(args);
string modelPath = builder.Configuration["model"] ?? "model.zip";
var ml = new MLContext();
var model = (VlmTransformer)ml.Vlm().Load(modelPath, out _);
model.Generation = new GenerationOptions { MaxNewTokens = 64 };
builder.Services.AddSingleton(new VlmPredictionPool(ml, model));

var app = builder.Build();
app.MapGet("/health", () => Results.Ok(new { model = Path.GetFullPath(modelPath) }));
app.MapPost("/ask", async (HttpRequest request, VlmPredictionPool pool) =>
{
    if (!request.HasFormContentType) return Results.BadRequest(new { error = "send multipart/form-data with 'prompt' and an optional 'image' file" });
    var form = await request.ReadFormAsync();
    string prompt = form["prompt"].ToString();
    if (prompt.Length == 0) return Results.BadRequest(new { error = "'prompt' is empty" });
    byte[] image = [];
    if (form.Files["image"] is { } file)
    {
        using var bytes = new MemoryStream();
        await file.CopyToAsync(bytes);
        image = bytes.ToArray();
    }
    try
    {
        return Results.Ok(new { answer = pool.Predict(new VlmInput { ImageBytes = image, Prompt = prompt }).Answer });
    }
    catch (Exception e) when (e is ArgumentException or InvalidDataException)
    {
        return Results.BadRequest(new { error = e.Message });
    }
}).DisableAntiforgery();

app.Run();
