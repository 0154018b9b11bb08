using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vlm.Trainers.Estimator;

namespace Vlm.Pipeline.Serve;

/// <summary>
/// The web chat: <c>GET /</c> the page, <c>POST /api/chat</c> (<see cref="ChatEndpoint"/>),
/// <c>GET /health</c> (200 once the model is loaded, 503 before, 500 when loading failed). The server
/// listens at once and loads the model in the background; one model serves every request.
/// </summary>
internal sealed class ChatServer : IAsyncDisposable
{
    const string PageResource = "Vlm.Pipeline.Serve.ChatPage.html";

    readonly WebApplication _app;

    ChatServer(WebApplication app, Task<VlmTransformer> model, Uri address)
    {
        _app = app;
        Model = model;
        Address = address;
    }

    /// <summary>Completes when the model is loaded (or faults with the reason it could not be).</summary>
    public Task<VlmTransformer> Model { get; }

    public Uri Address { get; }

    public static async Task<ChatServer> StartAsync(ChatServerOptions options, Func<VlmTransformer> load)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://{(options.Host.Contains(':') ? $"[{options.Host}]" : options.Host)}:{options.Port}");
        // The form fields (prompt, history) ride on top of the image.
        long bodyLimit = options.MaxUploadBytes + options.MaxTextChars * 4L + 64 * 1024;
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = bodyLimit);
        builder.Services.Configure<FormOptions>(form => form.MultipartBodyLengthLimit = bodyLimit);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            kestrel.Limits.MaxRequestHeaderCount = 64;
            kestrel.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
        });

        var app = builder.Build();
        var model = Task.Run(load);
        string page = ReadPage();
        app.Use(new RequestGuard(page, options.Host).Invoke);
        var admission = new SemaphoreSlim(options.MaxConcurrentRequests);
        app.MapGet("/", () => Results.Content(page, "text/html; charset=utf-8"));
        app.MapGet("/health", () => model.Status switch
        {
            TaskStatus.RanToCompletion => Results.Json(new { status = "ready" }),
            TaskStatus.Faulted => Results.Json(new { status = "failed", error = model.Exception!.InnerException!.Message }, statusCode: StatusCodes.Status500InternalServerError),
            _ => Results.Json(new { status = "loading" }, statusCode: StatusCodes.Status503ServiceUnavailable),
        });
        app.MapPost("/api/chat", (HttpContext context) => ChatEndpoint.Handle(context, model, options, admission)).DisableAntiforgery();
        await app.StartAsync();

        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new ChatServer(app, model, new Uri(address));
    }

    public Task WaitForShutdownAsync(CancellationToken cancel) => _app.WaitForShutdownAsync(cancel);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        try
        {
            (await Model).Dispose();
        }
        catch (Exception)
        {
            // A model that failed to load has nothing to release; the failure was reported by /health and the command.
        }
    }

    static string ReadPage()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(PageResource)
            ?? throw new InvalidOperationException($"the chat page ({PageResource}) is missing from the build");
        return new StreamReader(stream).ReadToEnd();
    }
}
