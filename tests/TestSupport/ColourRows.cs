using SkiaSharp;
using Vlm.Tests.Trainers.Models;
using Vlm.Trainers.Training;

namespace Vlm.Tests.TestSupport;

/// <summary>
/// Training rows a tiny model can learn from its image: "[4 image tokens] 7 8 -> answer", where the
/// answer token names the image's colour (10, 11 or 12) and 2 ends it; each row's 16x16 image is
/// written into a folder.
/// </summary>
internal static class ColourRows
{
    static readonly SKColor[] Colours = [SKColors.Red, SKColors.Green, SKColors.Blue];

    /// <param name="longEvery">with n > 0, every n-th prompt repeats 7 sixteen times (rows of different lengths, for padding, packing and length grouping)</param>
    public static List<TrainingExample> Write(string folder, int count, int longEvery = 0)
    {
        var examples = new List<TrainingExample>();
        for (int i = 0; i < count; i++)
        {
            int colour = i % Colours.Length;
            string name = $"img{i}.png";
            TestImages.Write(Path.Combine(folder, name), 16, 16, color: Colours[colour]);
            int sevens = longEvery > 0 && i % longEvery == 0 ? 16 : 1;
            int[] ids = [1, .. Enumerable.Repeat((int)TinyModels.ImageToken, 4), .. Enumerable.Repeat(7, sevens), 8, 10 + colour, 2];
            int[] labels = [.. Enumerable.Repeat(-100, 6 + sevens), 10 + colour, 2];
            examples.Add(new TrainingExample(ids, labels, name));
        }
        return examples;
    }
}
