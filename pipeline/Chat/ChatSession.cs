using Vlm.Trainers.Estimator;
using Vlm.Trainers.Models.Llava;

namespace Vlm.Pipeline.Chat;

/// <summary>
/// A multi-turn conversation in the terminal: each line is a question, answered as it is generated;
/// <c>/image &lt;path&gt;</c> starts a new conversation about that image (as in LLaVA's data, the
/// image belongs to the first turn), <c>/clear</c> forgets the conversation, <c>/exit</c> ends.
/// </summary>
internal sealed class ChatSession(VlmPredictor predictor, GenerationOptions generation)
{
    public const string Help = "commands: /image <path> (a new conversation about that image), /image (no image), /clear, /help, /exit";

    readonly List<string> _history = [];

    /// <summary>The image of the current conversation; empty for none.</summary>
    public string Image { get => _image; init => _image = value; }

    string _image = "";

    public void Run(TextReader input, TextWriter output)
    {
        output.WriteLine(Help);
        while (true)
        {
            output.Write("you> ");
            output.Flush();
            string? line = input.ReadLine();
            if (line is null) break;
            line = line.Trim();
            if (line.Length == 0) continue;
            if (line.StartsWith('/'))
            {
                if (!Command(line, output)) break;
                continue;
            }
            Ask(line, output);
        }
        output.WriteLine();
    }

    void Ask(string question, TextWriter output)
    {
        output.Write("vlm> ");
        try
        {
            string answer = predictor.Answer(new VlmInput { Image = Image, Prompt = question, History = [.. _history] }, piece =>
            {
                output.Write(piece);
                output.Flush();
            }, generation);
            _history.Add(question);
            _history.Add(answer);
            output.WriteLine();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException)
        {
            // The conversation stays as it was: the failed question is not part of it.
            output.WriteLine();
            output.WriteLine($"error: {e.Message}");
        }
    }

    /// <summary>Runs a slash command; false when the chat should end.</summary>
    bool Command(string line, TextWriter output)
    {
        int space = line.IndexOf(' ');
        string name = space < 0 ? line : line[..space], argument = space < 0 ? "" : line[(space + 1)..].Trim().Trim('"');
        switch (name)
        {
            case "/exit" or "/quit":
                return false;
            case "/clear":
                _history.Clear();
                output.WriteLine(Image.Length > 0 ? $"(conversation cleared; still about {Image})" : "(conversation cleared)");
                return true;
            case "/image" when argument.Length == 0:
                _image = "";
                _history.Clear();
                output.WriteLine("(new conversation without an image)");
                return true;
            case "/image":
                if (!File.Exists(argument))
                {
                    output.WriteLine($"error: {argument}: no such image file");
                    return true;
                }
                _image = Path.GetFullPath(argument);
                _history.Clear();
                output.WriteLine($"(new conversation about {Image})");
                return true;
            case "/help":
                output.WriteLine(Help);
                return true;
            default:
                output.WriteLine($"error: unknown command {name}; {Help}");
                return true;
        }
    }
}
