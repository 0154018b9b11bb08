using Microsoft.ML;
using Microsoft.Playwright;
using Vlm.Pipeline.Serve;
using Vlm.Tests.TestSupport;
using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Tests.Pipeline.Serve;

/// <summary>The chat page in headless Chromium: upload an image, ask twice, see the streamed answers, a refused upload, clear.</summary>
[Collection(TorchRandomCollection.Name)]
public class ChatPageBrowserTests : IAsyncLifetime
{
    const string Chromium = "/usr/bin/chromium";
    static readonly GenerationOptions Generation = new() { MaxNewTokens = 8 };

    readonly TempFolder _root = new();
    ChatServer? _server;
    IPlaywright? _playwright;
    IBrowser? _browser;

    public async Task InitializeAsync()
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: run tests/tools/install-chromium.sh (Debian's chromium package), which the test build runs where it can");
        string model = TestModels.WriteModelFolder(_root.Path);
        _server = await ChatServer.StartAsync(new ChatServerOptions { Port = 0, Generation = Generation }, () => new MLContext().Vlm().LoadFolder(model));
        _playwright = await Playwright.CreateAsync();
        // Running as root (CI containers) needs --no-sandbox.
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null) await _browser.DisposeAsync();
        _playwright?.Dispose();
        if (_server is not null) await _server.DisposeAsync();
        _root.Dispose();
    }

    [Fact]
    public async Task A_user_uploads_an_image_asks_twice_gets_the_models_answers_and_clears()
    {
        string image = _root.File("shape.png");
        byte[] bytes = await File.ReadAllBytesAsync(image);
        var model = await _server!.Model;
        string first = model.Predictor.Answer(new VlmInput { ImageBytes = bytes, Prompt = "What shape is in the image?" }, generation: Generation);
        string second = model.Predictor.Answer(new VlmInput { ImageBytes = bytes, Prompt = "What colour is it?", History = ["What shape is in the image?", first] }, generation: Generation);

        var page = await _browser!.NewPageAsync();
        await page.GotoAsync(_server.Address.ToString());
        await Assertions.Expect(page.Locator("#status")).ToHaveTextAsync("model ready");

        await page.Locator("#image").SetInputFilesAsync(image);
        await Assertions.Expect(page.Locator("#preview")).ToBeVisibleAsync();
        await Ask(page, "What shape is in the image?");
        await Ask(page, "What colour is it?");
        var answers = page.Locator(".assistant[data-done=true]");
        await Assertions.Expect(answers).ToHaveCountAsync(2);
        Assert.Equal(first, await answers.Nth(0).TextContentAsync());
        Assert.Equal(second, await answers.Nth(1).TextContentAsync());

        await page.Locator("#image").SetInputFilesAsync(new FilePayload { Name = "notes.txt", MimeType = "text/plain", Buffer = "not a picture"u8.ToArray() });
        await Ask(page, "And now?");
        await Assertions.Expect(page.Locator(".error")).ToContainTextAsync("notes.txt: not an image");

        await page.Locator("#clear").ClickAsync();
        await Assertions.Expect(page.Locator(".message")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator("#preview")).ToBeHiddenAsync();
    }

    static async Task Ask(IPage page, string question)
    {
        await page.Locator("#prompt").FillAsync(question);
        await page.Locator("#send").ClickAsync();
        await Assertions.Expect(page.Locator("#send")).ToBeEnabledAsync();
    }
}
