using Vlm.Transforms.Shards;

namespace Vlm.Pipeline.Cli;

/// <summary>The shards arguments of the commands that read <c>vlm prepare</c>'s output (train, cache-features).</summary>
internal static class ShardArguments
{
    public static CommandOption Data { get; } = new("data", "shards folder written by vlm prepare; several, comma-separated, are read one after another", Required: true);

    /// <summary>The shards of --data's folders, their manifests checked and merged.</summary>
    public static ShardDataView Open(string data)
    {
        var folders = data.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (folders.Length == 0) throw new UsageException("--data names no folder");
        foreach (var folder in folders)
            if (!File.Exists(Path.Combine(folder, Vlm.Transforms.Etl.EtlManifest.FileName)))
                throw new UsageException($"{folder}: no {Vlm.Transforms.Etl.EtlManifest.FileName}; give the output folder of vlm prepare");
        return ShardDataView.Open(folders);
    }

    /// <summary>Where a row's image is: under --image_root when given, else in its source's folder from the manifest.</summary>
    public static Func<string, string, string> ImagePath(CommandLine args, ShardDataView shards)
    {
        if (args.Value("image_root") is { } root) return (_, image) => Path.Combine(root, image);
        return (source, image) => shards.ImageFolderOf(source) is { } folder ? Path.Combine(folder, image)
            : throw new UsageException($"the manifest names no image folder for source {source}; give --image_root");
    }
}
