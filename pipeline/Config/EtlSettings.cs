using System.Globalization;
using Vlm.Pipeline.Cli;
using Vlm.Transforms.Conversations;
using Vlm.Transforms.Etl;

namespace Vlm.Pipeline.Config;

/// <summary>What <c>vlm prepare</c> runs with: the ETL options, the tokenizer folder (null: built in) and the template's name (null: the tokenizer's).</summary>
internal sealed record PrepareSettings(EtlOptions Options, string? Tokenizer = null, string? Template = null);

/// <summary>Where a setting's text came from: turns a complaint into the right error and resolves paths as that place does.</summary>
internal interface ISettingSource
{
    /// <summary>The error for <paramref name="setting"/>'s value: a usage error for a flag, the file and line for etl.yaml.</summary>
    Exception Fail(string setting, string complaint);

    /// <summary>A path as given: relative to the working folder for a flag, to the file's folder in etl.yaml.</summary>
    string Path(string value);
}

/// <summary>
/// The settings <c>vlm prepare</c> shares between its flags and <c>etl.yaml</c>, declared once: the
/// name (<c>--name</c>, YAML key <c>name</c>), the help, the default (read from <see cref="EtlOptions"/>
/// and <see cref="ChatTemplateOptions"/>, never restated) and how a text value sets it. Sources and
/// the output differ between the two forms and are read by each.
/// </summary>
internal static class EtlSettings
{
    internal sealed record Setting(string Name, string Help, string? Default, Func<PrepareSettings, string, ISettingSource, PrepareSettings> Apply, bool IsFlag = false)
    {
        public CommandOption Option => new(Name, Help, IsFlag: IsFlag, Default: Default);
    }

    static readonly EtlOptions Defaults = new() { Sources = [], Output = "" };

    public static readonly IReadOnlyList<Setting> All =
    [
        new("tokenizer", "tokenizer folder", "the built-in Qwen tokenizer", (s, v, from) => s with { Tokenizer = from.Path(v) }),
        new("template", "qwen (Qwen-7B chatml, <|extra_0|>), qwen2 (Qwen2 chatml, <|image_pad|>), vicuna_v1 (LLaVA-1.5, <image>) or llama3 (<image>)", "the tokenizer's, by its special tokens", (s, v, from) =>
        {
            try
            {
                ChatTemplate.Named(v);
            }
            catch (ArgumentException e)
            {
                throw from.Fail("template", e.Message);
            }
            return s with { Template = v };
        }),
        new("system_prompt", "system prompt; empty for none", Defaults.Template.SystemPrompt,
            (s, v, _) => s with { Options = s.Options with { Template = s.Options.Template with { SystemPrompt = v } } }),
        new("image_tokens", "image placeholder ids per image (the vision tower's feature count)", $"{Defaults.Template.ImageTokenCount}",
            (s, v, from) => s with { Options = s.Options with { Template = s.Options.Template with { ImageTokenCount = Int("image_tokens", v, from) } } }),
        new("first_turn_only", "keep only the first question and answer of each record",
            null, (s, v, from) => s with { Options = s.Options with { Template = s.Options.Template with { FirstTurnOnly = Bool("first_turn_only", v, from) } } }, IsFlag: true),
        new("split_special_tokens", "encode special-token strings in the text (<|im_start|> ...) as plain text, not control tokens",
            null, (s, v, from) => s with { Options = s.Options with { Template = s.Options.Template with { SplitSpecialTokens = Bool("split_special_tokens", v, from) } } }, IsFlag: true),
        new("max_length", "longest conversation in tokens", $"{Defaults.MaxLength}",
            (s, v, from) => s with { Options = s.Options with { MaxLength = Int("max_length", v, from) } }),
        new("length_policy", "drop or truncate conversations over max_length", Name(Defaults.LengthPolicy),
            (s, v, from) => s with { Options = s.Options with { LengthPolicy = Choice<LengthPolicy>("length_policy", v, from) } }),
        new("seed", "seed of the caption policy (AI Challenger, COCO)", $"{Defaults.Seed}",
            (s, v, from) => s with { Options = s.Options with { Seed = Int("seed", v, from) } }),
        new("records_per_shard", "input records per shard", $"{Defaults.RecordsPerShard}",
            (s, v, from) => s with { Options = s.Options with { RecordsPerShard = Int("records_per_shard", v, from) } }),
        new("max_image_pixels", "images over this many pixels (by their header) are rejected before decoding", $"{Defaults.MaxImagePixels}",
            (s, v, from) => s with { Options = s.Options with { MaxImagePixels = Long("max_image_pixels", v, from) } }),
        new("duplicate_ids", "warn (keep rows that repeat an earlier row's id, counted in the manifest) or reject them", Name(Defaults.DuplicateIds),
            (s, v, from) => s with { Options = s.Options with { DuplicateIds = Choice<DuplicateIds>("duplicate_ids", v, from) } }),
        new("allow_partial", "keep the records before a break in an annotation file (a truncated file) instead of failing",
            null, (s, v, from) => s with { Options = s.Options with { AllowPartial = Bool("allow_partial", v, from) } }, IsFlag: true),
    ];

    public static Setting? Find(string name) => All.FirstOrDefault(s => s.Name == name);

    /// <summary>The defaults for these sources and output, every setting as <see cref="EtlOptions"/> has it.</summary>
    public static PrepareSettings Start(IReadOnlyList<EtlSource> sources, string output) => new(Defaults with { Sources = sources, Output = output });

    static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    static T Choice<T>(string name, string value, ISettingSource from) where T : struct, Enum
    {
        var names = Enum.GetValues<T>().Select(Name).ToList();
        int index = names.IndexOf(value);
        return index >= 0 ? Enum.GetValues<T>()[index] : throw from.Fail(name, $"must be {string.Join(" or ", names)}, not '{value}'");
    }

    static int Int(string name, string value, ISettingSource from) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) ? parsed : throw from.Fail(name, $"must be an integer, not '{value}'");

    static long Long(string name, string value, ISettingSource from) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed) ? parsed : throw from.Fail(name, $"must be an integer, not '{value}'");

    static bool Bool(string name, string value, ISettingSource from) => value switch
    {
        "true" => true,
        "false" => false,
        _ => throw from.Fail(name, $"must be true or false, not '{value}'"),
    };
}
