using System.Text.Json;
using Vlm.Transforms.Etl;

namespace Vlm.Pipeline.Cli;

/// <summary>The shards arguments of the commands that read <c>vlm prepare</c>'s output (train, cache-features).</summary>
internal static class ShardArguments
{
    public static CommandOption ImageRoot { get; } = new("image_root", "folder the shards' image paths are relative to", Default: "the manifest's image folder");

    /// <summary>The manifest of a <c>vlm prepare</c> output folder.</summary>
    public static EtlManifest Manifest(string folder)
    {
        string path = Path.Combine(folder, EtlManifest.FileName);
        if (!File.Exists(path)) throw new UsageException($"{folder}: no {EtlManifest.FileName}; give the output folder of vlm prepare");
        return JsonSerializer.Deserialize<EtlManifest>(File.ReadAllBytes(path), EtlRunner.Json) ?? throw new InvalidDataException($"{path}: empty");
    }

    /// <summary>--image_root, or the one image folder the shards were prepared from.</summary>
    public static string ImageRootFolder(CommandLine args, EtlManifest manifest)
    {
        if (args.Value("image_root") is { } given) return given;
        var roots = (manifest.Config?.Sources ?? []).Select(s => Path.GetFullPath(s.Images)).Distinct().ToList();
        if (roots.Count != 1) throw new UsageException($"the shards come from image folders {string.Join(", ", roots)}; give --image_root");
        return roots[0];
    }
}
