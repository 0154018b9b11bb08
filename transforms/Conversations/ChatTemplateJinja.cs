using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vlm.Transforms.Conversations;

/// <summary>
/// The chat template as the Jinja text Hugging Face processors apply, written from the same
/// <see cref="ChatTemplate"/> data <see cref="ConversationEncoder"/> encodes: the system prompt when
/// there is one, each role's text around its turns, and each image as its image text with one image
/// token (the processor repeats it once per image feature) followed by a newline, as in LLaVA's
/// "&lt;image&gt;\n" prompts.
/// </summary>
public static class ChatTemplateJinja
{
    static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string For(ChatTemplateOptions options)
    {
        var t = ChatTemplate.Of(options.Format);
        string image = t.ImageText.Replace(ChatTemplate.ImagePlaceholder, t.ImageToken);
        // Every literal is a quoted expression: text between tags would be trimmed by the {%- -%} markers.
        string system = string.IsNullOrEmpty(options.SystemPrompt)
            ? ""
            : "{%- if messages[0]['role'] != 'system' -%}{{ " + Quote(t.SystemPrefix + options.SystemPrompt + t.SystemSuffix) + " }}{%- endif -%}";
        return "{{ " + Quote(t.Begin) + " }}"
            + system
            + "{%- for message in messages -%}"
            + Role(t.SystemPrefix, t.UserPrefix, t.AssistantPrefix + t.AnswerPrefix)
            + "{%- if message['content'] is string -%}{{ message['content'] }}"
            + "{%- else -%}{%- for item in message['content'] -%}"
            + "{%- if item['type'] == 'image' -%}{{ " + Quote(image + "\n") + " }}"
            + "{%- elif item['type'] == 'text' -%}{{ item['text'] }}{%- endif -%}"
            + "{%- endfor -%}{%- endif -%}"
            + Role(t.SystemSuffix, t.UserSuffix, t.AnswerEnd + t.AnswerSeparator)
            + "{%- endfor -%}"
            + "{%- if add_generation_prompt -%}{{ " + Quote(t.AssistantPrefix) + " }}{%- endif -%}";
    }

    /// <summary>The text for the message's role.</summary>
    static string Role(string system, string user, string assistant) =>
        "{%- if message['role'] == 'system' -%}{{ " + Quote(system) + " }}"
            + "{%- elif message['role'] == 'user' -%}{{ " + Quote(user) + " }}"
            + "{%- else -%}{{ " + Quote(assistant) + " }}{%- endif -%}";

    /// <summary>A Jinja string literal (Jinja reads JSON's escapes).</summary>
    static string Quote(string text) => JsonSerializer.Serialize(text, Relaxed);
}
