using System.Text.Json;
using TorchSharp;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// A Hugging Face checkpoint folder as users download it: <c>config.json</c> and either one
/// <c>model.safetensors</c> or shards listed by <c>model.safetensors.index.json</c>.
/// Every shard is opened and validated up front, so a broken folder fails before any tensor loads.
/// </summary>
internal sealed class CheckpointFolder : ITensorSource, IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    readonly Dictionary<string, SafetensorsFile> _owner;
    readonly List<SafetensorsFile> _files;

    CheckpointFolder(string folder, HfConfig config, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        Folder = folder;
        Config = config;
        _files = files;
        _owner = owner;
    }

    public string Folder { get; }
    string ITensorSource.Location => Folder;
    public HfConfig Config { get; }
    public IEnumerable<string> Names => _owner.Keys;
    public bool Contains(string name) => _owner.ContainsKey(name);

    /// <summary>A tensor's shape from its file's header (no data read), or null when the checkpoint has no such tensor.</summary>
    public long[]? Shape(string name) => _owner.TryGetValue(name, out var file) ? file.Entry(name).Shape : null;

    public static CheckpointFolder Open(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{folder}: no such checkpoint folder");
        var config = HfConfig.Load(Path.Combine(folder, "config.json"));
        string index = Path.Combine(folder, IndexFile);
        var files = new List<SafetensorsFile>();
        var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            if (File.Exists(index))
                OpenShards(folder, index, files, owner);
            else
                OpenSingle(folder, files, owner);
        }
        catch
        {
            foreach (var f in files) f.Dispose();
            throw;
        }
        return new CheckpointFolder(folder, config, files, owner);
    }

    static void OpenSingle(string folder, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        string single = Path.Combine(folder, SingleFile);
        var found = File.Exists(single) ? [single] : Directory.GetFiles(folder, "*.safetensors");
        if (found.Length != 1)
            throw new FileNotFoundException(found.Length == 0
                ? $"{folder}: no {SingleFile} and no {IndexFile}"
                : $"{folder}: {found.Length} .safetensors files but no {IndexFile} to say how they fit together");
        var file = SafetensorsFile.Open(found[0]);
        files.Add(file);
        foreach (var name in file.Names) owner[name] = file;
    }

    static void OpenShards(string folder, string index, List<SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        Dictionary<string, string> weightMap;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(index));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new CheckpointFormatException(index, null, "no \"weight_map\" object");
            weightMap = map.EnumerateObject().ToDictionary(p => p.Name,
                p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : throw new CheckpointFormatException(index, p.Name, "shard name must be a string"),
                StringComparer.Ordinal);
        }
        catch (JsonException e)
        {
            throw new CheckpointFormatException(index, null, $"not valid JSON ({e.Message})");
        }

        var byShard = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        foreach (var (tensor, shard) in weightMap)
        {
            if (shard.Contains('/') || shard.Contains('\\') || shard is "." or "..")
                throw new CheckpointFormatException(index, tensor, $"shard '{shard}' is not a file name in the checkpoint folder");
            if (!byShard.TryGetValue(shard, out var file))
            {
                string shardPath = Path.Combine(folder, shard);
                if (!File.Exists(shardPath))
                    throw new CheckpointFormatException(index, tensor, $"names shard '{shard}', which does not exist");
                file = SafetensorsFile.Open(shardPath);
                files.Add(file);
                byShard[shard] = file;
            }
            if (!file.Contains(tensor))
                throw new CheckpointFormatException(index, tensor, $"is listed in shard '{shard}', which does not hold it");
            owner[tensor] = file;
        }
    }

    /// <summary>Loads one tensor onto <paramref name="device"/> as <paramref name="dtype"/> (stored dtype when null).</summary>
    public torch.Tensor Load(string name, torch.ScalarType? dtype = null, torch.Device? device = null) =>
        _owner.TryGetValue(name, out var file)
            ? file.Read(name, dtype, device)
            : throw new KeyNotFoundException($"{Folder}: the checkpoint has no tensor named '{name}'");

    public void Dispose()
    {
        foreach (var f in _files) f.Dispose();
    }
}
