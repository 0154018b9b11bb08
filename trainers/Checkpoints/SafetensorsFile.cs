using System.IO.MemoryMappedFiles;
using TorchSharp;

namespace Vlm.Trainers.Checkpoints;

/// <summary>
/// A memory-mapped safetensors file. Tensors are copied out one at a time, so loading a checkpoint
/// never holds more than the mapped file plus one tensor (and its converted copy) in memory.
/// </summary>
internal sealed class SafetensorsFile : ITensorSource, IDisposable
{
    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    readonly Dictionary<string, SafetensorsEntry> _entries;

    SafetensorsFile(string path, SafetensorsHeader header, MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        Path = path;
        Header = header;
        _map = map;
        _view = view;
        _entries = header.Entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public string Path { get; }
    public SafetensorsHeader Header { get; }
    public IEnumerable<string> Names => Header.Entries.Select(e => e.Name);
    string ITensorSource.Location => Path;
    torch.Tensor ITensorSource.Load(string name, torch.ScalarType? dtype, torch.Device? device) => Read(name, dtype, device);
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>Opens and validates a file; throws <see cref="CheckpointFormatException"/> when malformed.</summary>
    public static SafetensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such safetensors file", path);
        var header = SafetensorsHeader.Read(path);
        long length = new FileInfo(path).Length;
        if (length == header.DataStart) return new SafetensorsFile(path, header, null, null); // no tensor data
        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        try
        {
            var view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            return new SafetensorsFile(path, header, map, view);
        }
        catch
        {
            map.Dispose();
            throw;
        }
    }

    public SafetensorsEntry Entry(string name) =>
        _entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    /// <summary>Reads one tensor, converted to <paramref name="dtype"/> and moved to <paramref name="device"/> when given.</summary>
    public unsafe torch.Tensor Read(string name, torch.ScalarType? dtype = null, torch.Device? device = null)
    {
        var entry = Entry(name);
        var stored = SafetensorsDType.ToTorch(entry.DType)
            ?? throw new CheckpointFormatException(Path, name, $"dtype {entry.DType} has no TorchSharp equivalent");
        var tensor = torch.empty(entry.Shape, dtype: stored);
        try
        {
            if (entry.ByteLength > 0)
            {
                byte* file = null;
                _view!.SafeMemoryMappedViewHandle.AcquirePointer(ref file);
                try
                {
                    byte* source = file + _view.PointerOffset + Header.DataStart + entry.Begin;
                    Buffer.MemoryCopy(source, (void*)NativeTensorMemory.DataPointer(tensor), entry.ByteLength, entry.ByteLength);
                }
                finally
                {
                    _view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
            if ((dtype is null || dtype == stored) && (device is null || device.type == DeviceType.CPU)) return tensor;
            using (tensor)
                return tensor.to(dtype ?? stored, device ?? torch.CPU);
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _view?.Dispose();
        _map?.Dispose();
    }
}
