using System.Globalization;
using Vlm.Pipeline.Cli;

namespace Vlm.Pipeline.Config;

/// <summary>Where a setting's text came from: turns a complaint into the right error and resolves paths as that place does.</summary>
internal interface ISettingSource
{
    /// <summary>The error for <paramref name="setting"/>'s value: a usage error for a flag, the file and line for a YAML file.</summary>
    Exception Fail(string setting, string complaint);

    /// <summary>A path as given: relative to the working folder for a flag, to the file's folder in a YAML file.</summary>
    string Path(string value);
}

/// <summary>
/// One setting of an options record <typeparamref name="T"/>, declared once: its name (<c>--name</c>,
/// YAML key <c>name</c>), its help, its default as shown (read from the record's own defaults, never
/// restated) and how a text value changes the record.
/// </summary>
internal sealed record Setting<T>(string Name, string Help, string? Default, Func<T, SettingValue, T> Change, bool IsFlag = false)
{
    public CommandOption Option => new(Name, Help, IsFlag: IsFlag, Default: Default);

    /// <summary><paramref name="settings"/> with this setting's <paramref name="text"/> from <paramref name="from"/>.</summary>
    public T Apply(T settings, string text, ISettingSource from) => Change(settings, new SettingValue(Name, text, from));
}

/// <summary>One setting's text, read as its type; a bad text is the source's error naming the setting.</summary>
internal sealed record SettingValue(string Name, string Text, ISettingSource From)
{
    public string Path() => From.Path(Text);

    public int Int() => int.TryParse(Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int parsed) ? parsed : throw Fail("must be an integer");

    public long Long() => long.TryParse(Text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed) ? parsed : throw Fail("must be an integer");

    public double Double() => double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) ? parsed : throw Fail("must be a number");

    public bool Bool() => Text switch
    {
        "true" => true,
        "false" => false,
        _ => throw Fail("must be true or false"),
    };

    /// <summary>An enum member by its lower-case name (or by one of <paramref name="names"/>, in the enum's order, where the flag's words differ from the members').</summary>
    public T Choice<T>(params string[] names) where T : struct, Enum
    {
        var values = Enum.GetValues<T>();
        var words = names.Length > 0 ? names.ToList() : values.Select(Settings.Lower).ToList();
        int index = words.IndexOf(Text);
        return index >= 0 ? values[index] : throw Fail($"must be {string.Join(" or ", words)}");
    }

    public Exception Fail(string complaint) => From.Fail(Name, $"{complaint}, not '{Text}'");
}

/// <summary>Reading settings from the command line.</summary>
internal static class Settings
{
    /// <summary><paramref name="start"/> with every setting the command line gives (a flag's presence is "true").</summary>
    public static T FromFlags<T>(IEnumerable<Setting<T>> settings, T start, CommandLine args)
    {
        var flags = new Flags();
        foreach (var setting in settings)
            if (setting.IsFlag ? args.Flag(setting.Name) : args.Value(setting.Name) is not null)
                start = setting.Apply(start, setting.IsFlag ? "true" : args.Value(setting.Name)!, flags);
        return start;
    }

    public static string Lower<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    public static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Command-line values: a bad one is a usage error; paths are as given.</summary>
    public sealed class Flags : ISettingSource
    {
        public Exception Fail(string setting, string complaint) => new UsageException($"--{setting} {complaint}");

        public string Path(string value) => value;
    }
}
