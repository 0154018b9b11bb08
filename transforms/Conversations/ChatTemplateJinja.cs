using System.Text.Encodings.Web;
using System.Text.Json;
using Vlm.Datasets.Tokenizers;

namespace Vlm.Transforms.Conversations;

/// <summary>
/// The chat template as the Jinja text Hugging Face processors apply, rendering what
/// <see cref="ConversationEncoder"/> encodes: chatml turns, the system prompt when there is one, and
/// each image as one image token (the processor repeats it once per image feature) followed by a
/// newline, as in LLaVA's "&lt;image&gt;\n" prompts.
/// </summary>
public static class ChatTemplateJinja
{
    static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The text of the token that image features replace.</summary>
    public static string ImageToken(ChatFormat format) => format == ChatFormat.Qwen ? QwenSpecialTokens.Extra(0) : "<|image_pad|>";

    public static string For(ChatTemplateOptions options)
    {
        string image = options.Format == ChatFormat.Qwen ? ImageToken(options.Format) : $"<|vision_start|>{ImageToken(options.Format)}<|vision_end|>";
        // Every literal is a quoted expression: text between tags would be trimmed by the {%- -%} markers.
        string system = string.IsNullOrEmpty(options.SystemPrompt)
            ? ""
            : "{%- if messages[0]['role'] != 'system' -%}{{ " + Quote($"<|im_start|>system\n{options.SystemPrompt}<|im_end|>\n") + " }}{%- endif -%}";
        return system
            + "{%- for message in messages -%}"
            + "{{ " + Quote("<|im_start|>") + " + message['role'] + " + Quote("\n") + " }}"
            + "{%- if message['content'] is string -%}{{ message['content'] }}"
            + "{%- else -%}{%- for item in message['content'] -%}"
            + "{%- if item['type'] == 'image' -%}{{ " + Quote(image + "\n") + " }}"
            + "{%- elif item['type'] == 'text' -%}{{ item['text'] }}{%- endif -%}"
            + "{%- endfor -%}{%- endif -%}"
            + "{{ " + Quote("<|im_end|>\n") + " }}"
            + "{%- endfor -%}"
            + "{%- if add_generation_prompt -%}{{ " + Quote("<|im_start|>assistant\n") + " }}{%- endif -%}";
    }

    /// <summary>A Jinja string literal (Jinja reads JSON's escapes).</summary>
    static string Quote(string text) => JsonSerializer.Serialize(text, Relaxed);
}
