namespace Vlm.Pipeline.Cli;

/// <summary>
/// Parsed command-line options: <c>--name value</c>, <c>--name=value</c> and bare flags. Names are
/// accepted as <c>--snake_case</c> or <c>--kebab-case</c> (the original scripts use snake_case).
/// An option left out reads as the default its declaration shows in <c>--help</c>
/// (<see cref="ValueOrDefault"/>, <see cref="Int(string)"/>, <see cref="Double(string)"/>), so a default is written once.
/// </summary>
internal sealed class CommandLine
{
    readonly Dictionary<string, string?> _options;
    readonly Dictionary<string, CommandOption> _declared;

    CommandLine(Dictionary<string, string?> options, Dictionary<string, CommandOption> declared) => (_options, _declared) = (options, declared);

    public static string Canonical(string name) => name.Replace('-', '_');

    /// <summary>Parses <paramref name="args"/> against the options a command declares; throws <see cref="UsageException"/>.</summary>
    public static CommandLine Parse(IReadOnlyList<string> args, IReadOnlyCollection<CommandOption> declared)
    {
        var known = declared.ToDictionary(o => Canonical(o.Name));
        var options = new Dictionary<string, string?>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) && declared.FirstOrDefault(o => o.Positional && !options.ContainsKey(Canonical(o.Name))) is { } positional)
            {
                options[Canonical(positional.Name)] = arg;
                continue;
            }
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}'");
            string name = arg[2..];
            string? value = null;
            int equals = name.IndexOf('=');
            if (equals >= 0)
            {
                value = name[(equals + 1)..];
                name = name[..equals];
            }
            string key = Canonical(name);
            if (!known.TryGetValue(key, out var option)) throw new UsageException($"unknown option '--{name}'");
            if (option.IsFlag)
            {
                if (value is not null) throw new UsageException($"--{name} takes no value");
            }
            else if (value is null)
            {
                if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                    throw new UsageException($"--{name} needs a value");
                value = args[++i];
            }
            if (!options.TryAdd(key, value)) throw new UsageException($"--{name} is given twice");
        }
        return new CommandLine(options, known);
    }

    /// <summary>Throws when an option the command requires is absent (checked after --help is handled).</summary>
    public void CheckRequired(IEnumerable<CommandOption> declared)
    {
        foreach (var option in declared.Where(o => o.Required))
            if (!_options.ContainsKey(Canonical(option.Name)))
                throw new UsageException($"--{option.Name} is required");
    }

    public bool Flag(string name) => _options.ContainsKey(Canonical(name));

    public string? Value(string name) => _options.TryGetValue(Canonical(name), out var v) ? v : null;

    public string Required(string name) => Value(name) ?? throw new UsageException($"--{name} is required");

    /// <summary>The option's value, or the default its declaration shows.</summary>
    public string ValueOrDefault(string name) => Value(name) ?? Declared(name);

    public int Int(string name, int fallback) => Integer(name, fallback);

    /// <summary>The option's value, or the default its declaration shows, as an integer.</summary>
    public int Int(string name) => Integer(name, DeclaredNumber(name, int.Parse));

    public long Long(string name, long fallback) => Integer(name, fallback);

    /// <summary>The option's value, or the default its declaration shows, as a number.</summary>
    public double Double(string name) => Double(name, DeclaredNumber(name, double.Parse));

    /// <summary>A programming error when the command asks for a default it does not declare.</summary>
    string Declared(string name) =>
        _declared.TryGetValue(Canonical(name), out var option) && option.Default is { } text ? text
            : throw new InvalidOperationException($"--{name} declares no default");

    T DeclaredNumber<T>(string name, Func<string, IFormatProvider, T> parse)
    {
        string text = Declared(name);
        try
        {
            return parse(text, System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (FormatException)
        {
            throw new InvalidOperationException($"--{name}'s declared default '{text}' is not a number");
        }
    }

    T Integer<T>(string name, T fallback) where T : System.Numerics.IBinaryInteger<T>
    {
        string? value = Value(name);
        if (value is null) return fallback;
        return T.TryParse(value, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out T? parsed)
            ? parsed
            : throw new UsageException($"--{name} must be an integer, not '{value}'");
    }

    public double Double(string name, double fallback)
    {
        string? value = Value(name);
        if (value is null) return fallback;
        return double.TryParse(value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double parsed) && double.IsFinite(parsed)
            ? parsed
            : throw new UsageException($"--{name} must be a number, not '{value}'");
    }
}

/// <summary>An option a command accepts, for parsing and for its --help text; a <paramref name="Positional"/> one may also be given as a bare argument (<c>vlm reference-check ./fixtures</c>).</summary>
internal sealed record CommandOption(string Name, string Help, bool Required = false, bool IsFlag = false, string? Default = null, bool Positional = false);

/// <summary>The command line is wrong: printed with the command's usage, exit code 2.</summary>
internal sealed class UsageException(string message) : Exception(message);
