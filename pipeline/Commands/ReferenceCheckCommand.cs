using System.Globalization;
using Vlm.Pipeline.Cli;
using Vlm.Trainers.Reference;

namespace Vlm.Pipeline.Commands;

/// <summary><c>vlm reference-check</c>: a fixture folder's recorded Hugging Face outputs against this project's models.</summary>
internal sealed class ReferenceCheckCommand : ICommand
{
    public string Name => "reference-check";
    public string Summary => "compare Hugging Face's recorded outputs (a fixture folder, or a folder of them) with this project's models";
    public string Example => "vlm reference-check ./fixtures/hf-reference   (one folder with fixture.json, or a folder whose sub-folders have one)";

    public IReadOnlyList<CommandOption> Options { get; } =
    [
        new("fixtures", "a fixture folder (fixture.json, checkpoint, inputs and outputs) or a folder of them", Required: true, Positional: true),
        new(DeviceArguments.Device.Name, "cpu, cuda or cuda:N", Default: "cpu"),
        new(DeviceArguments.Precision.Name, $"fp32 (each fixture's tolerance) or bf16 (relative error within {ReferencePlacement.Bfloat16Bound})", Default: "fp32"),
    ];

    public int Run(CommandLine args, TextWriter output)
    {
        string root = args.Required("fixtures");
        if (!Directory.Exists(root)) throw new UsageException($"{root}: no such folder");
        var folders = ReferenceFixture.IsFixture(root)
            ? [root]
            : Directory.GetDirectories(root).Where(ReferenceFixture.IsFixture).Order(StringComparer.Ordinal).ToList();
        if (folders.Count == 0) throw new UsageException($"{root}: no {ReferenceFixture.FileName} in it or in its sub-folders");

        var device = DeviceArguments.Explicit(args);
        var placement = new ReferencePlacement(device, DeviceArguments.TypeOf(args, device, Vlm.Trainers.Training.TensorPrecision.Float32));
        int failed = 0, compared = 0, skipped = 0;
        foreach (string folder in folders)
        {
            var fixture = ReferenceFixture.Read(folder);
            string name = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
            foreach (var result in ReferenceCheck.Run(fixture, placement))
            {
                string verdict = result.Skipped ? $"skipped: {result.Problem}"
                    : result.Problem is not null ? $"FAIL: {result.Problem}"
                    : result.Passed ? "ok" : "FAIL";
                string diff = double.IsNaN(result.MaxAbsDiff) ? "-" : result.MaxAbsDiff.ToString("E2", CultureInfo.InvariantCulture);
                output.WriteLine($"{name,-24} {fixture.Kind,-15} {result.Output,-28} {(result.Relative ? "rel. error" : "max |diff|")} {diff,-9} {(result.Relative ? "bound" : "tolerance")} {result.Tolerance.ToString("G3", CultureInfo.InvariantCulture),-7} {verdict}");
                if (!result.Skipped) compared++;
                else skipped++;
                if (!result.Passed) failed++;
            }
        }
        output.WriteLine($"{compared} output(s) compared in {folders.Count} fixture(s): {(failed == 0 ? "all within tolerance" : $"{failed} over tolerance or not comparable")}"
            + (skipped == 0 ? "" : $"; {skipped} skipped (see above)"));
        return failed == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

}
