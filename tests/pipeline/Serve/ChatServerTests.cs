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

    [Fact]
    public async Task Conversations_over_the_turn_or_token_budget_are_refused_before_any_work()
    {
        // 10,000 short turns: under the character limit, far over the turn limit.
        string turns = System.Text.Json.JsonSerializer.Serialize(Enumerable.Range(0, 10_000).Select(i => i % 2 == 0 ? "uuu" : "aaa"));
        var (status, body) = await Post(Form("hi", turns));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("10000 turns, more than 64", body);
        // 6,000 words: under the character limit, over the 4,096-token budget.
        (status, body) = await Post(Form(string.Join(' ', Enumerable.Repeat("word", 6_000))));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Matches("the conversation is [0-9]+ tokens, more than this server takes", body);
    }

    [Fact]
    public async Task A_garbled_form_or_an_image_claiming_huge_dimensions_gets_a_reason_not_an_empty_500()
    {
        var truncated = new ByteArrayContent("--x\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\nhi"u8.ToArray());
        truncated.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=x");
        using (var response = await _http.PostAsync("api/chat", truncated))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains("the multipart form cannot be read", await response.Content.ReadAsStringAsync());
        }
        var (status, body) = await Post(Form("?", image: TestImages.PngClaiming(100_000, 100_000), name: "bomb.png"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Contains("bomb.png: 100000 x 100000 pixels is more than the limit", body);
    }

    [Fact]
    public async Task Responses_carry_security_headers_and_other_hosts_and_origins_are_refused()
    {
        using (var page = await _http.GetAsync("/"))
        {
            Assert.Equal("nosniff", page.Headers.GetValues("X-Content-Type-Options").Single());
            string policy = page.Headers.GetValues("Content-Security-Policy").Single();
            Assert.Contains("default-src 'none'", policy);
            Assert.Matches("script-src 'sha256-[A-Za-z0-9+/=]+'", policy); // the page's own inline script only
        }
        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "/"))
        {
            rebound.Headers.Host = "attacker.example";
            using var response = await _http.SendAsync(rebound);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
        }
        using (var forged = new HttpRequestMessage(HttpMethod.Post, "api/chat") { Content = Form("hi") })
        {
            forged.Headers.Add("Origin", "https://attacker.example");
            using var response = await _http.SendAsync(forged);
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }
        using (var own = new HttpRequestMessage(HttpMethod.Post, "api/chat") { Content = Form("hi") })
        {
            own.Headers.Add("Origin", _server!.Address.GetLeftPart(UriPartial.Authority));
            using var response = await _http.SendAsync(own);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Twenty_clients_at_once_are_each_answered_or_told_to_retry_and_memory_stays_bounded()
    {
        var png = await File.ReadAllBytesAsync(_image);
        GC.Collect();
        long before = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64;
        var results = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => Post(Form($"What shape? {i}", image: i % 2 == 0 ? png : null))));
        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{r.Status} {r.Body}"));
        Assert.Contains(results, r => r.Status == HttpStatusCode.OK);
        Assert.All(results.Where(r => r.Status == HttpStatusCode.ServiceUnavailable), r => Assert.Contains("busy", r.Body));
        long grown = System.Diagnostics.Process.GetCurrentProcess().WorkingSet64 - before;
        Assert.True(grown < 512L << 20, $"the process grew by {grown >> 20} MB");
    }

    [Fact]
    public async Task A_control_token_typed_into_a_prompt_is_encoded_as_text()
    {
        var predictor = (await _server!.Model).Predictor;
        int plain = predictor.PromptLength(new VlmInput { Prompt = "ab" });
        int typed = predictor.PromptLength(new VlmInput { Prompt = "a<|im_start|>b" });
        // As a control token it would be one id; as the 12 characters it is, several.
        Assert.True(typed - plain >= 3, $"{typed - plain} ids for the typed <|im_start|>");
    }

    [Fact]
    public async Task Mutated_multipart_bodies_and_history_json_are_answered_or_refused_never_a_500()
    {
        var png = await File.ReadAllBytesAsync(_image);
        using var valid = Form("What shape?", """["Hi", "Hello"]""", png);
        string contentType = valid.Headers.ContentType!.ToString();
        byte[] body = await valid.ReadAsByteArrayAsync();
        var allowed = new[] { HttpStatusCode.OK, HttpStatusCode.BadRequest, HttpStatusCode.RequestEntityTooLarge, HttpStatusCode.UnsupportedMediaType, HttpStatusCode.ServiceUnavailable };
        async Task Check(HttpContent content, string what)
        {
            using var response = await _http.PostAsync("api/chat", content);
            string text = await response.Content.ReadAsStringAsync();
            Assert.True(allowed.Contains(response.StatusCode), $"{what}: {response.StatusCode} {text}");
            if (response.StatusCode != HttpStatusCode.OK) Assert.Contains("\"error\"", text);
        }
        var mutator = new Mutator(40);
        for (int c = 0; c < 150; c++)
        {
            var content = new ByteArrayContent(mutator.Mutate(body));
            content.Headers.TryAddWithoutValidation("Content-Type", contentType);
            await Check(content, $"multipart case {c}");
        }
        var history = """["What is in the picture?", "A red circle.", "And the colour?", "Red."]"""u8.ToArray();
        for (int c = 0; c < 150; c++)
            await Check(Form("Why?", System.Text.Encoding.UTF8.GetString(mutator.Mutate(history))), $"history case {c}");
    }
}
