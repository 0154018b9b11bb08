using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Vlm.Datasets.Images;
using Vlm.Trainers.Estimator;

namespace Vlm.Pipeline.Serve;

/// <summary>
/// <c>POST /api/chat</c>: a multipart form with <c>prompt</c>, <c>history</c> (a JSON array of
/// alternating user and assistant turns) and optionally <c>image</c> (a file). The answer streams
/// back as plain UTF-8 text while it is generated. Anything wrong with the request is refused with
/// a JSON <c>{"error": ...}</c> before the first byte of an answer: 400 bad fields or an unreadable
/// image or a garbled form, 413 too large (bytes, pixels, turns or tokens), 415 not an image, 503 while
/// the model is still loading or when too many requests are in flight.
/// </summary>
internal static class ChatEndpoint
{
    public static async Task Handle(HttpContext context, Task<VlmTransformer> model, ChatServerOptions options, SemaphoreSlim admission)
    {
        if (!model.IsCompletedSuccessfully)
        {
            await Refuse(context, StatusCodes.Status503ServiceUnavailable, model.IsFaulted ? "the model failed to load" : "the model is still loading");
            return;
        }
        // Bounded: a burst beyond the limit is told to come back, not held in memory while it waits.
        if (!admission.Wait(0))
        {
            context.Response.Headers.RetryAfter = "5";
            await Refuse(context, StatusCodes.Status503ServiceUnavailable, $"busy: {options.MaxConcurrentRequests} requests are being answered; try again shortly");
            return;
        }
        try
        {
            VlmInput input;
            try
            {
                input = await Read(context.Request, model.Result, options, context.RequestAborted);
            }
            catch (ChatRequestException e)
            {
                await Refuse(context, e.Status, e.Message);
                return;
            }
            catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
            {
                await Refuse(context, e.StatusCode, $"the request is larger than the upload limit of {options.MaxUploadBytes / (1024.0 * 1024):0.#} MB");
                return;
            }
            catch (InvalidDataException e) when (e.Message.Contains("limit", StringComparison.OrdinalIgnoreCase))
            {
                // The form reader's own limits (a section or the whole body too long).
                await Refuse(context, StatusCodes.Status413PayloadTooLarge, e.Message);
                return;
            }
            catch (Exception e) when (e is InvalidDataException or IOException or BadHttpRequestException && !context.RequestAborted.IsCancellationRequested)
            {
                // A truncated or garbled multipart body.
                await Refuse(context, StatusCodes.Status400BadRequest, $"the multipart form cannot be read: {e.Message}");
                return;
            }
            await Answer(context, model.Result, input, options);
        }
        finally
        {
            admission.Release();
        }
    }

    static async Task<VlmInput> Read(HttpRequest request, VlmTransformer model, ChatServerOptions options, CancellationToken cancel)
    {
        if (!request.HasFormContentType) throw new ChatRequestException(StatusCodes.Status400BadRequest, "send a multipart form with prompt, history and image fields");
        var form = await request.ReadFormAsync(cancel);
        string prompt = form["prompt"].ToString().Trim();
        if (prompt.Length == 0) throw new ChatRequestException(StatusCodes.Status400BadRequest, "the prompt is empty");
        string[] history = History(form["history"].ToString());
        if (prompt.Length + history.Sum(t => t.Length) > options.MaxTextChars)
            throw new ChatRequestException(StatusCodes.Status413PayloadTooLarge, $"the conversation is longer than {options.MaxTextChars} characters; clear it and start again");
        if (history.Length > options.MaxHistoryTurns)
            throw new ChatRequestException(StatusCodes.Status413PayloadTooLarge, $"the history has {history.Length} turns, more than {options.MaxHistoryTurns}; clear it and start again");

        var input = new VlmInput { Prompt = prompt, History = history };
        var file = form.Files.GetFile("image");
        if (file is not null && file.Length > 0)
        {
            if (file.Length > options.MaxUploadBytes)
                throw new ChatRequestException(StatusCodes.Status413PayloadTooLarge, $"{file.FileName}: {file.Length:N0} bytes is more than the upload limit of {options.MaxUploadBytes:N0}");
            using var buffer = new MemoryStream((int)file.Length);
            await file.CopyToAsync(buffer, cancel);
            var bytes = buffer.ToArray();
            if (UploadedImage.Format(bytes) is null)
                throw new ChatRequestException(StatusCodes.Status415UnsupportedMediaType, $"{file.FileName}: not an image; upload {UploadedImage.Accepted}");
            var (width, height) = ReadSize(bytes, file.FileName);
            if ((long)width * height > options.MaxImagePixels)
                throw new ChatRequestException(StatusCodes.Status413PayloadTooLarge, $"{file.FileName}: {width} x {height} pixels is more than the limit of {options.MaxImagePixels:N0}");
            input.ImageBytes = bytes;
        }
        // Counted before any model work: attention's memory grows with the square of the length.
        int tokens = model.Predictor.PromptLength(input);
        int limit = Math.Min(options.MaxPromptTokens, model.Predictor.ContextLength - options.Generation.MaxNewTokens);
        if (tokens > limit)
            throw new ChatRequestException(StatusCodes.Status413PayloadTooLarge, $"the conversation is {tokens} tokens, more than this server takes ({limit}); clear it and start again");
        return input;
    }

    static (int Width, int Height) ReadSize(byte[] bytes, string name)
    {
        try
        {
            return ImageDecoder.ReadSize(bytes, name);
        }
        catch (InvalidDataException e)
        {
            throw new ChatRequestException(StatusCodes.Status400BadRequest, e.Message);
        }
    }

    static string[] History(string json)
    {
        if (string.IsNullOrWhiteSpace(json)) return [];
        string[]? turns;
        try
        {
            turns = JsonSerializer.Deserialize<string[]>(json);
        }
        catch (JsonException e)
        {
            throw new ChatRequestException(StatusCodes.Status400BadRequest, $"history: not a JSON array of strings ({e.Message})");
        }
        if (turns is null || turns.Any(t => t is null)) throw new ChatRequestException(StatusCodes.Status400BadRequest, "history: not a JSON array of strings");
        if (turns.Length % 2 != 0) throw new ChatRequestException(StatusCodes.Status400BadRequest, $"history: {turns.Length} turns; it needs user/assistant pairs");
        return turns;
    }

    /// <summary>
    /// Streams the model's answer (<see cref="VlmTransformer.AnswerStreaming"/>: generation on a worker
    /// thread, the model serialising callers). The status is chosen when the first piece or the first
    /// error arrives, so a bad image is still a 400.
    /// </summary>
    static async Task Answer(HttpContext context, VlmTransformer model, VlmInput input, ChatServerOptions options)
    {
        var cancel = context.RequestAborted;
        // A closed page stops generation at the next token instead of holding the model.
        await using var pieces = model.AnswerStreaming(input, options.Generation, cancel).GetAsyncEnumerator(cancel);
        try
        {
            bool any = await pieces.MoveNextAsync();
            context.Response.ContentType = "text/plain; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            await context.Response.StartAsync(cancel);
            for (; any; any = await pieces.MoveNextAsync())
            {
                await context.Response.WriteAsync(pieces.Current, cancel);
                await context.Response.Body.FlushAsync(cancel);
            }
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            // The client went away; the worker stops at its next token.
        }
        catch (Exception e) when (!context.Response.HasStarted && e is PromptTooLongException or ImageTooLargeException)
        {
            await Refuse(context, StatusCodes.Status413PayloadTooLarge, e.Message);
        }
        catch (Exception e) when (!context.Response.HasStarted && e is ArgumentException or InvalidDataException or FileNotFoundException)
        {
            await Refuse(context, StatusCodes.Status400BadRequest, e.Message);
        }
        catch (Exception e) when (context.Response.HasStarted)
        {
            // The status is already sent: the page shows the reason at the end of the answer.
            await context.Response.WriteAsync($"\n[error: {e.Message}]", CancellationToken.None);
        }
    }

    static Task Refuse(HttpContext context, int status, string message)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new { error = message });
    }
}

/// <summary>A request the chat endpoint refuses, with the status to answer.</summary>
internal sealed class ChatRequestException(int status, string message) : Exception(message)
{
    public int Status { get; } = status;
}
