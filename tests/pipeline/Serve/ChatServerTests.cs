using System.Net;
using System.Net.Http.Headers;
using Microsoft.ML;
using Vlm.Pipeline.Serve;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Tests.Pipeline.Serve;

/// <summary>The web chat's HTTP contract: health, streamed answers equal to the model's, and refusals that say why.</summary>
[Collection(TorchRandomCollection.Name)]
public class ChatServerTests : IAsyncLifetime
{
    readonly TempFolder _root = new();
    readonly HttpClient _http = new();
    string _model = "", _image = "";
    ChatServer? _server;

    static readonly GenerationOptions Generation = new() { MaxNewTokens = 6 };

    public async Task InitializeAsync()
    {
        _model = TestModels.WriteModelFolder(_root.Path);
        _image = _root.File("shape.png");
        _server = await ChatServer.StartAsync(new ChatServerOptions { Port = 0, MaxUploadBytes = 4096, Generation = Generation }, () => new MLContext().Vlm().LoadFolder(_model));
        _http.BaseAddress = _server.Address;
        await _server.Model;
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        _root.Dispose();
    }

    string Expected(VlmInput input) => _server!.Model.Result.Predictor.Answer(input, generation: Generation);

    static MultipartFormDataContent Form(string prompt, string? history = null, byte[]? image = null, string name = "shape.png")
    {
        var form = new MultipartFormDataContent { { new StringContent(prompt), "prompt" } };
        if (history is not null) form.Add(new StringContent(history), "history");
        if (image is not null)
        {
            var file = new ByteArrayContent(image);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "image", name);
        }
        return form;
    }

    async Task<(HttpStatusCode Status, string Body)> Post(MultipartFormDataContent form)
    {
        using var response = await _http.PostAsync("api/chat", form);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Health_and_page_answer_once_the_model_is_loaded()
    {
        using var health = await _http.GetAsync("health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Contains("ready", await health.Content.ReadAsStringAsync());
        string page = await _http.GetStringAsync("/");
        Assert.Contains("<textarea id=\"prompt\"", page);
        Assert.Equal("127.0.0.1", _server!.Address.Host);
    }

    [Fact]
    public async Task Answers_with_and_without_image_and_history_are_the_models_own_even_when_asked_at_once()
    {
        var bytes = await File.ReadAllBytesAsync(_image);
        string first = Expected(new VlmInput { ImageBytes = bytes, Prompt = "What shape?" });
        string second = Expected(new VlmInput { ImageBytes = bytes, Prompt = "And the colour?", History = ["What shape?", first] });
        string textOnly = Expected(new VlmInput { Prompt = "What shape?" });
        Assert.NotEqual(first, textOnly);

        var asked = await Task.WhenAll(
            Post(Form("What shape?", image: bytes)),
            Post(Form("And the colour?", System.Text.Json.JsonSerializer.Serialize(new[] { "What shape?", first }), bytes)),
            Post(Form("What shape?", "[]")));

        Assert.All(asked, a => Assert.Equal(HttpStatusCode.OK, a.Status));
        Assert.Equal([first, second, textOnly], asked.Select(a => a.Body));
    }

    [Fact]
    public async Task Bad_requests_are_refused_with_the_reason()
    {
        var png = await File.ReadAllBytesAsync(_image);
        var cases = new (MultipartFormDataContent Form, HttpStatusCode Status, string Reason)[]
        {
            (Form(""), HttpStatusCode.BadRequest, "the prompt is empty"),
            (Form("?", "[\"only the question\"]"), HttpStatusCode.BadRequest, "needs user/assistant pairs"),
            (Form("?", "{not json"), HttpStatusCode.BadRequest, "history: not a JSON array"),
            (Form("?", image: "GIF? no, plain text"u8.ToArray(), name: "notes.txt"), HttpStatusCode.UnsupportedMediaType, "notes.txt: not an image"),
            (Form("?", image: [.. png[..16], .. new byte[200]], name: "broken.png"), HttpStatusCode.BadRequest, "cannot be read"),
            (Form("?", image: [.. png, .. new byte[5000]], name: "big.png"), HttpStatusCode.RequestEntityTooLarge, "upload limit"),
        };
        foreach (var (form, status, reason) in cases)
        {
            var (actual, body) = await Post(form);
            Assert.True(actual == status, $"{reason}: {actual} {body}");
            Assert.Contains(reason, body);
        }
        using var plain = await _http.PostAsync("api/chat", new StringContent("prompt=hi"));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
    }
}
