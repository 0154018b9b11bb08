using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Pipeline.Config;

/// <summary>What <c>vlm prepare</c> runs with: the ETL options, the tokenizer folder (null: built in) and the template's name (null: the tokenizer's).</summary>
internal sealed record PrepareSettings(EtlOptions Options, string? Tokenizer = null, string? Template = null);

/// <summary>
/// The settings <c>vlm prepare</c> shares between its flags and <c>etl.yaml</c>, declared once: the
/// name (<c>--name</c>, YAML key <c>name</c>), the help, the default (read from <see cref="EtlOptions"/>
/// and <see cref="ChatTemplateOptions"/>, never restated) and how a text value sets it. Sources and
/// the output differ between the two forms and are read by each.
/// </summary>
internal static class EtlSettings
{
    static readonly EtlOptions Defaults = new() { Sources = [], Output = "" };

    public static readonly IReadOnlyList<Setting<PrepareSettings>> All =
    [
        new("tokenizer", "tokenizer folder", "the built-in Qwen tokenizer", (s, v) => s with { Tokenizer = v.Path() }),
        new("template", "qwen (Qwen-7B chatml, <|extra_0|>), qwen2 (Qwen2 chatml, <|image_pad|>), vicuna_v1 (LLaVA-1.5, <image>) or llama3 (<image>)", "the tokenizer's, by its special tokens", (s, v) =>
        {
            try
            {
                ChatTemplate.Named(v.Text);
            }
            catch (ArgumentException e)
            {
                throw v.From.Fail(v.Name, e.Message);
            }
            return s with { Template = v.Text };
        }),
        new("system_prompt", "system prompt; empty for none", Defaults.Template.SystemPrompt,
            (s, v) => Template(s, t => t with { SystemPrompt = v.Text })),
        new("image_tokens", "image placeholder ids per image (the vision tower's feature count)", $"{Defaults.Template.ImageTokenCount}",
            (s, v) => Template(s, t => t with { ImageTokenCount = v.Int() })),
        new("first_turn_only", "keep only the first question and answer of each record",
            null, (s, v) => Template(s, t => t with { FirstTurnOnly = v.Bool() }), IsFlag: true),
        new("split_special_tokens", "encode special-token strings in the text (<|im_start|> ...) as plain text, not control tokens",
            null, (s, v) => Template(s, t => t with { SplitSpecialTokens = v.Bool() }), IsFlag: true),
        new("max_length", "longest conversation in tokens", $"{Defaults.MaxLength}",
            (s, v) => Options(s, o => o with { MaxLength = v.Int() })),
        new("length_policy", "drop or truncate conversations over max_length", Lower(Defaults.LengthPolicy),
            (s, v) => Options(s, o => o with { LengthPolicy = v.Choice<LengthPolicy>() })),
        new("seed", "seed of the caption policy (AI Challenger, COCO)", $"{Defaults.Seed}",
            (s, v) => Options(s, o => o with { Seed = v.Int() })),
        new("records_per_shard", "input records per shard", $"{Defaults.RecordsPerShard}",
            (s, v) => Options(s, o => o with { RecordsPerShard = v.Int() })),
        new("max_image_pixels", "images over this many pixels (by their header) are rejected before decoding", $"{Defaults.MaxImagePixels}",
            (s, v) => Options(s, o => o with { MaxImagePixels = v.Long() })),
        new("duplicate_ids", "warn (keep rows that repeat an earlier row's id, counted in the manifest) or reject them", Lower(Defaults.DuplicateIds),
            (s, v) => Options(s, o => o with { DuplicateIds = v.Choice<DuplicateIds>() })),
        new("allow_partial", "keep the records before a break in an annotation file (a truncated file) instead of failing",
            null, (s, v) => Options(s, o => o with { AllowPartial = v.Bool() }), IsFlag: true),
    ];

    public static Setting<PrepareSettings>? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>The defaults for these sources and output, every setting as <see cref="EtlOptions"/> has it.</summary>
    public static PrepareSettings Start(IReadOnlyList<EtlSource> sources, string output) => new(Defaults with { Sources = sources, Output = output });

    static PrepareSettings Options(PrepareSettings s, Func<EtlOptions, EtlOptions> change) => s with { Options = change(s.Options) };

    static PrepareSettings Template(PrepareSettings s, Func<ChatTemplateOptions, ChatTemplateOptions> change) => Options(s, o => o with { Template = change(o.Template) });

    static string Lower<T>(T value) where T : struct, Enum => Settings.Lower(value);
}
