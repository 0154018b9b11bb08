using Vlm.Pipeline.Cli;
using Vlm.Pipeline.Commands;
using Vlm.Pipeline.Config;
using Vlm.Trainers.Training;

namespace Vlm.Tests.Pipeline.Config;

/// <summary><c>vlm train</c>'s settings: each sets one option of its own, bad values are usage errors naming the flag, and the help shows the record's defaults.</summary>
public class TrainSettingsTests
{
    static readonly string[] Candidates = ["true", "7", "0.375", "full", "cosine", "mpi", "bf16", "some/folder"];

    static IEnumerable<(string Name, object? Value)> Properties(VlmTrainerOptions options) =>
        typeof(VlmTrainerOptions).GetProperties().Where(p => p.GetIndexParameters().Length == 0).Select(p => (p.Name, p.GetValue(options)));

    [Fact]
    public void Every_setting_changes_exactly_one_option_and_no_two_settings_the_same_one()
    {
        var defaults = new VlmTrainerOptions();
        var changed = new Dictionary<string, string>();
        foreach (var setting in TrainSettings.All)
        {
            VlmTrainerOptions? set = null;
            foreach (var value in setting.IsFlag ? ["true"] : Candidates)
            {
                try
                {
                    set = setting.Apply(defaults, value, new Settings.Flags());
                }
                catch (UsageException)
                {
                    continue;
                }
                if (set != defaults) break;
            }
            Assert.True(set is not null && set != defaults, $"--{setting.Name} changes nothing");
            var differing = Properties(set!).Zip(Properties(defaults)).Where(p => !Equals(p.First.Value, p.Second.Value)).Select(p => p.First.Name).ToList();
            Assert.True(differing.Count == 1, $"--{setting.Name} changes {string.Join(", ", differing)}");
            Assert.True(changed.TryAdd(differing[0], setting.Name), $"--{setting.Name} and --{changed.GetValueOrDefault(differing[0])} both set {differing[0]}");
        }
    }

    [Theory]
    [InlineData("lora_rank", "eight", "--lora_rank must be an integer, not 'eight'")]
    [InlineData("learning_rate", "fast", "--learning_rate must be a number, not 'fast'")]
    [InlineData("train", "lorax", "--train must be projector or lora or full, not 'lorax'")]
    [InlineData("lr_scheduler_type", "step", "--lr_scheduler_type must be linear or cosine or constant, not 'step'")]
    public void A_bad_value_is_a_usage_error_naming_the_flag(string name, string value, string message)
    {
        var setting = TrainSettings.All.Single(s => s.Name == name);
        var error = Assert.Throws<UsageException>(() => setting.Apply(new VlmTrainerOptions(), value, new Settings.Flags()));
        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void The_help_shows_the_option_records_defaults()
    {
        var defaults = new VlmTrainerOptions();
        var options = new TrainCommand().Options.ToDictionary(o => o.Name);
        Assert.Equal($"{defaults.LoraRank}", options["lora_rank"].Default);
        Assert.Equal($"{defaults.SaveSteps}", options["save_steps"].Default);
        Assert.Equal($"{defaults.MaxSteps}", options["max_steps"].Default);
        Assert.Equal(defaults.LearningRate.ToString(System.Globalization.CultureInfo.InvariantCulture), options["learning_rate"].Default);
        Assert.Equal("linear", options["lr_scheduler_type"].Default);
        Assert.Equal("auto", options["distributed"].Default);
    }
}
